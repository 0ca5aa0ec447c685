package sqlstore

import (
	"context"

	"github.com/ferrygit/ferry"
)

// EntitySources returns the provenance of those of keys that exist in ns, for the
// catalog's check of who owns an entity. Returns ENOTFOUND for an unknown namespace.
func (db *DB) EntitySources(ctx context.Context, ns string, keys []ferry.EntityKey) (map[ferry.EntityKey]ferry.Provenance, error) {
	n, err := findNamespace(ctx, db.read, ns, "")
	if err != nil {
		return nil, err
	}
	bps, err := blueprintIDs(ctx, db.read, n.ID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(bps))
	for name, id := range bps {
		names[id] = name
	}
	out := map[ferry.EntityKey]ferry.Provenance{}
	for bpID, idents := range groupKeys(keys, bps) {
		for _, chunk := range chunks(idents, 500) {
			from, args := db.amongIdentifiers(1, bpID, chunk)
			rows, err := db.read.QueryContext(ctx, `SELECT e.identifier, e.source, e.actor, e.binding, e.repository, e.path, e.commit_id, e.source_at`+from, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				k := ferry.EntityKey{Blueprint: names[bpID]}
				var p ferry.Provenance
				if err := rows.Scan(&k.Identifier, &p.Source, &p.Actor, &p.Binding, &p.Repository, &p.Path, &p.Commit, &p.At); err != nil {
					rows.Close()
					return nil, err
				}
				p.At = p.At.UTC()
				out[k] = p
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
