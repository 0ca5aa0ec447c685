package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/ferrygit/ferry"
)

// Entity change actions, as EntityHistory lists them.
const (
	actionCreated = "created"
	actionUpdated = "updated"
	actionDeleted = "deleted"
)

// entityWrite is an entity to be written, with its columns worked out.
type entityWrite struct {
	e           *ferry.Entity
	blueprintID int64
	properties  string
	relations   string
	violations  sql.NullString
	digest      string
	source      ferry.Provenance // e.Source with At defaulted to now
}

// storedEntity is what PutEntities reads of an existing entity to decide whether to write it.
type storedEntity struct {
	id                                       int64
	digest                                   string
	invalid                                  bool
	violations                               sql.NullString
	source, actor, binding, repository, path string
	createdAt, updatedAt                     time.Time
}

// unchanged reports whether writing w over s would change neither data nor provenance; a
// new commit or time alone does not count.
func (s *storedEntity) unchanged(w *entityWrite) bool {
	p := w.source
	return s.digest == w.digest && s.invalid == w.e.Invalid && s.violations == w.violations &&
		s.source == p.Source && s.actor == p.Actor && s.binding == p.Binding && s.repository == p.Repository && s.path == p.Path
}

// marshalJSON returns v as compact JSON without HTML escaping, the text that the JSON
// functions of both dialects give back for a value, so that property filters compare alike.
func marshalJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// newEntityWrite works out the columns of e, an entity of blueprint bpID.
func newEntityWrite(e *ferry.Entity, bpID int64, now time.Time) (*entityWrite, error) {
	w := &entityWrite{e: e, blueprintID: bpID, source: e.Source}
	props := e.Properties
	if props == nil {
		props = map[string]any{}
	}
	rels := e.Relations
	if rels == nil {
		rels = map[string]json.RawMessage{}
	}
	var err error
	if w.properties, err = marshalJSON(props); err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "The properties of entity %q cannot be stored as JSON.", e.Identifier)
	}
	if w.relations, err = marshalJSON(rels); err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "The relations of entity %q are not valid JSON.", e.Identifier)
	}
	if e.Invalid && len(e.Violations) > 0 {
		v, err := json.Marshal(e.Violations)
		if err != nil {
			return nil, err
		}
		w.violations = sql.NullString{String: string(v), Valid: true}
	}
	sum := sha256.Sum256([]byte(e.Blueprint + "\x00" + e.Title + "\x00" + w.properties + "\x00" + w.relations))
	w.digest = hex.EncodeToString(sum[:])
	if w.source.At.IsZero() {
		w.source.At = now
	}
	w.source.At = w.source.At.UTC()
	return w, nil
}

// snapshot returns the entity as stored, in JSON, for its history.
func (w *entityWrite) snapshot(ns string, created, updated time.Time) (string, error) {
	e := *w.e
	e.Namespace, e.Source, e.CreatedAt, e.UpdatedAt, e.Dangling = ns, w.source, created, updated, nil
	if e.Properties == nil {
		e.Properties = map[string]any{}
	}
	if len(e.Relations) == 0 {
		e.Relations = nil
	}
	if !e.Invalid {
		e.Violations = nil
	}
	return marshalJSON(&e)
}

// PutEntities creates or replaces entities, all of one namespace, in one transaction and
// records a change for each it writes. An entity whose data and provenance (other than
// commit and time) are unchanged is not written. It sets the entities' times. Returns
// EINVALID for entities of several namespaces or one given twice, ENOTFOUND for an unknown
// namespace or blueprint, and, with upsert false, ECONFLICT if an entity exists already;
// nothing is written then.
func (db *DB) PutEntities(ctx context.Context, entities []*ferry.Entity, upsert bool) error {
	if len(entities) == 0 {
		return nil
	}
	nsName := entities[0].Namespace
	seen := make(map[ferry.EntityKey]bool, len(entities))
	for _, e := range entities {
		if e.Namespace != nsName {
			return ferry.Errorf(ferry.EINVALID, "Entities written together must be of one namespace, not %q and %q.", nsName, e.Namespace)
		}
		k := ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier}
		if seen[k] {
			return ferry.Errorf(ferry.EINVALID, "Entity %q of blueprint %q is given twice.", e.Identifier, e.Blueprint)
		}
		seen[k] = true
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, nsName, db.forUpdate())
	if err != nil {
		return err
	}
	bps, err := blueprintIDs(ctx, tx, ns.ID)
	if err != nil {
		return err
	}
	writes := make([]*entityWrite, len(entities))
	byBlueprint := map[int64][]any{}
	for i, e := range entities {
		id, ok := bps[e.Blueprint]
		if !ok {
			return notFound("Blueprint %q does not exist in namespace %q.", e.Blueprint, ns.Name)
		}
		if writes[i], err = newEntityWrite(e, id, tx.now); err != nil {
			return err
		}
		byBlueprint[id] = append(byBlueprint[id], e.Identifier)
	}
	stored, err := tx.storedEntities(ctx, byBlueprint)
	if err != nil {
		return err
	}
	if err := tx.writeEntities(ctx, ns, writes, stored, upsert); err != nil {
		return err
	}
	return tx.Commit()
}

// blueprintIDs returns the row IDs of a namespace's blueprints by identifier.
func blueprintIDs(ctx context.Context, q queryer, nsID int64) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, identifier FROM blueprints WHERE namespace_id = $1`, nsID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var id int64
		var ident string
		if err := rows.Scan(&id, &ident); err != nil {
			return nil, err
		}
		ids[ident] = id
	}
	return ids, rows.Err()
}

// storedKey names an entity row by blueprint row ID and identifier.
type storedKey struct {
	blueprintID int64
	identifier  string
}

// storedEntities reads the existing entities among the identifiers of each blueprint.
func (tx *Tx) storedEntities(ctx context.Context, byBlueprint map[int64][]any) (map[storedKey]*storedEntity, error) {
	stored := map[storedKey]*storedEntity{}
	for bpID, idents := range byBlueprint {
		for _, chunk := range chunks(idents, 500) {
			from, args := tx.db.amongIdentifiers(1, bpID, chunk)
			rows, err := tx.QueryContext(ctx, `SELECT e.identifier, e.id, e.digest, e.invalid, e.violations, e.source, e.actor, e.binding,
				e.repository, e.path, e.created_at, e.updated_at`+from, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				s := &storedEntity{}
				var ident string
				if err := rows.Scan(&ident, &s.id, &s.digest, &s.invalid, &s.violations, &s.source, &s.actor, &s.binding, &s.repository,
					&s.path, &s.createdAt, &s.updatedAt); err != nil {
					rows.Close()
					return nil, err
				}
				s.createdAt, s.updatedAt = s.createdAt.UTC(), s.updatedAt.UTC()
				stored[storedKey{bpID, ident}] = s
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
	}
	return stored, nil
}

// writeEntities inserts the new entities, updates the changed ones and records a change for
// each, then sets the entities' times.
func (tx *Tx) writeEntities(ctx context.Context, ns *ferry.Namespace, writes []*entityWrite, stored map[storedKey]*storedEntity, upsert bool) error {
	var inserts, changes [][]any
	created := make([]time.Time, len(writes))
	for i, w := range writes {
		e, s := w.e, stored[storedKey{w.blueprintID, w.e.Identifier}]
		switch {
		case s != nil && !upsert:
			return ferry.Errorf(ferry.ECONFLICT, "Entity %q of blueprint %q exists already in namespace %q.", e.Identifier, e.Blueprint, ns.Name)
		case s != nil && s.unchanged(w):
			continue // created[i] stays zero: not written
		}
		p, action := w.source, actionCreated
		created[i] = tx.now
		if s != nil {
			action, created[i] = actionUpdated, s.createdAt
			if _, err := tx.exec(ctx, `UPDATE entities SET title = $1, properties = $2, relations = $3, invalid = $4, violations = $5,
				digest = $6, source = $7, actor = $8, binding = $9, repository = $10, path = $11, commit_id = $12, source_at = $13,
				updated_at = $14 WHERE id = $15`, e.Title, w.properties, w.relations, e.Invalid, w.violations, w.digest,
				p.Source, p.Actor, p.Binding, p.Repository, p.Path, p.Commit, p.At, tx.now, s.id); err != nil {
				return err
			}
		} else {
			inserts = append(inserts, []any{ns.ID, w.blueprintID, e.Identifier, e.Title, w.properties, w.relations, e.Invalid, w.violations,
				w.digest, p.Source, p.Actor, p.Binding, p.Repository, p.Path, p.Commit, p.At, tx.now, tx.now})
		}
		snap, err := w.snapshot(ns.Name, created[i], tx.now)
		if err != nil {
			return err
		}
		changes = append(changes, []any{ns.ID, e.Blueprint, e.Identifier, action, snap, p.Source, p.Actor, p.Binding, p.Repository,
			p.Path, p.Commit, p.At, tx.now})
	}
	if err := tx.insertRows(ctx, `entities (namespace_id, blueprint_id, identifier, title, properties, relations, invalid, violations,
		digest, source, actor, binding, repository, path, commit_id, source_at, created_at, updated_at)`, inserts); err != nil {
		return err
	}
	if err := tx.insertRows(ctx, `entity_changes (namespace_id, blueprint, identifier, action, entity, source, actor, binding,
		repository, path, commit_id, source_at, at)`, changes); err != nil {
		return err
	}
	for i, w := range writes {
		if created[i].IsZero() {
			s := stored[storedKey{w.blueprintID, w.e.Identifier}]
			w.e.CreatedAt, w.e.UpdatedAt = s.createdAt, s.updatedAt
			continue
		}
		w.e.CreatedAt, w.e.UpdatedAt = created[i], tx.now
	}
	return nil
}

// DeleteEntities removes the entities of ns named in keys, recording a change for each with
// source (its time defaults to now). Unknown ones are skipped. Returns ENOTFOUND for an
// unknown namespace.
func (db *DB) DeleteEntities(ctx context.Context, ns string, keys []ferry.EntityKey, source ferry.Provenance) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := findNamespace(ctx, tx, ns, db.forUpdate())
	if err != nil {
		return err
	}
	bps, err := blueprintIDs(ctx, tx, n.ID)
	if err != nil {
		return err
	}
	if source.At.IsZero() {
		source.At = tx.now
	}
	names := make(map[int64]string, len(bps))
	for name, id := range bps {
		names[id] = name
	}
	for bpID, idents := range groupKeys(keys, bps) {
		for _, chunk := range chunks(idents, 500) {
			if err := tx.recordDeletions(ctx, bpID, names[bpID], chunk, source); err != nil {
				return err
			}
			from, args := tx.db.amongIdentifiers(1, bpID, chunk)
			if _, err := tx.exec(ctx, `DELETE FROM entities WHERE id IN (SELECT e.id`+from+`)`, args...); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// groupKeys returns the distinct identifiers of keys by blueprint row ID, leaving out keys of
// unknown blueprints.
func groupKeys(keys []ferry.EntityKey, bps map[string]int64) map[int64][]any {
	out := map[int64][]any{}
	seen := make(map[ferry.EntityKey]bool, len(keys))
	for _, k := range keys {
		if id, ok := bps[k.Blueprint]; ok && !seen[k] {
			seen[k] = true
			out[id] = append(out[id], k.Identifier)
		}
	}
	return out
}

// recordDeletions records the deletion by source of the entities of blueprint bpID (whose
// identifier is bp) named in idents, or of all its entities when idents is nil, in one
// statement.
func (tx *Tx) recordDeletions(ctx context.Context, bpID int64, bp string, idents []any, source ferry.Provenance) error {
	args := []any{bp, source.Source, source.Actor, source.Binding, source.Repository, source.Path, source.Commit, source.At.UTC(), tx.now}
	from := ` FROM entities e WHERE e.blueprint_id = ` + tx.db.placeholders(len(args)+1, 1)
	if idents == nil {
		args = append(args, bpID)
	} else {
		var more []any
		from, more = tx.db.amongIdentifiers(len(args)+1, bpID, idents)
		args = append(args, more...)
	}
	_, err := tx.exec(ctx, `INSERT INTO entity_changes (namespace_id, blueprint, identifier, action, entity, source, actor, binding,
		repository, path, commit_id, source_at, at) SELECT e.namespace_id, `+tx.db.placeholders(1, 1)+`, e.identifier, '`+actionDeleted+`', NULL, `+
		tx.db.placeholders(2, 8)+from+` ORDER BY e.identifier`, args...)
	return err
}

// amongIdentifiers returns the FROM and WHERE clauses that select, as e, the entities of
// blueprint bpID whose identifiers are in idents, and their arguments, numbered from start.
// SQLite probes the index for each value of an IN list. PostgreSQL joins an array instead: its
// generic plan for a long IN list may read every entity of the blueprint and compare it with
// every value.
func (db *DB) amongIdentifiers(start int, bpID int64, idents []any) (string, []any) {
	if db.dialect == Postgres {
		ids := make([]string, len(idents))
		for i, id := range idents {
			ids[i] = id.(string)
		}
		return ` FROM unnest(CAST($` + itoa(start) + ` AS TEXT[])) AS k (identifier) JOIN entities e ON e.identifier = k.identifier
			WHERE e.blueprint_id = $` + itoa(start+1), []any{ids, bpID}
	}
	return ` FROM entities e WHERE e.blueprint_id = ? AND e.identifier IN (` + db.placeholders(start+1, len(idents)) + `)`,
		append([]any{bpID}, idents...)
}
