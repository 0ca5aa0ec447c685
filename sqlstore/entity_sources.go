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

// EntitiesAtPaths returns the keys and paths of the entities of ns that git binding
// binding read from one of paths: what an incremental pull's catalog step needs, without
// reading the binding's other entities. Returns ENOTFOUND for an unknown namespace.
func (db *DB) EntitiesAtPaths(ctx context.Context, ns, binding string, paths []string) (map[ferry.EntityKey]string, error) {
	n, err := findNamespace(ctx, db.read, ns, "")
	if err != nil {
		return nil, err
	}
	out := map[ferry.EntityKey]string{}
	all := make([]any, len(paths))
	for i, p := range paths {
		all[i] = p
	}
	for _, chunk := range chunks(all, 500) {
		q := `SELECT b.identifier, e.identifier, e.path FROM entities e JOIN blueprints b ON b.id = e.blueprint_id
			WHERE e.namespace_id = ` + db.placeholders(1, 1) + ` AND e.binding = ` + db.placeholders(2, 1) + ` AND e.source = ` + db.placeholders(3, 1) +
			` AND e.path IN (` + db.placeholders(4, len(chunk)) + `)`
		rows, err := db.read.QueryContext(ctx, q, append([]any{n.ID, binding, ferry.SourceGit}, chunk...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k ferry.EntityKey
			var path string
			if err := rows.Scan(&k.Blueprint, &k.Identifier, &path); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = path
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
