package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
)

// This file holds the catalog's queries of entities; blueprint.go and entity.go write.

const entityColumns = `e.identifier, e.title, e.properties, e.relations, e.invalid, e.violations, e.source, e.actor, e.binding,
	e.repository, e.path, e.commit_id, e.source_at, e.created_at, e.updated_at`

// scanEntity reads a row of entityColumns into an entity of blueprint bp in namespace ns.
// Properties come back as encoding/json decodes them into map[string]any: numbers are
// float64.
func scanEntity(row scanner, ns, bp string) (*ferry.Entity, error) {
	e := &ferry.Entity{Namespace: ns, Blueprint: bp}
	var props, rels string
	var violations sql.NullString
	p := &e.Source
	if err := row.Scan(&e.Identifier, &e.Title, &props, &rels, &e.Invalid, &violations, &p.Source, &p.Actor, &p.Binding,
		&p.Repository, &p.Path, &p.Commit, &p.At, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(props), &e.Properties); err != nil {
		return nil, err
	}
	if rels != "{}" {
		if err := json.Unmarshal([]byte(rels), &e.Relations); err != nil {
			return nil, err
		}
	}
	if violations.Valid {
		if err := json.Unmarshal([]byte(violations.String), &e.Violations); err != nil {
			return nil, err
		}
	}
	p.At, e.CreatedAt, e.UpdatedAt = p.At.UTC(), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

// FindEntity returns entity id of blueprint bp in ns. Returns ENOTFOUND if the namespace,
// the blueprint or the entity does not exist.
func (db *DB) FindEntity(ctx context.Context, ns, bp, id string) (*ferry.Entity, error) {
	e, err := scanEntity(db.read.QueryRowContext(ctx, `SELECT `+entityColumns+` FROM entities e
		JOIN blueprints b ON b.id = e.blueprint_id JOIN namespaces n ON n.id = b.namespace_id
		WHERE n.name = $1 AND b.identifier = $2 AND e.identifier = $3`, ns, bp, id), ns, bp)
	if errors.Is(err, sql.ErrNoRows) {
		if _, _, err := findBlueprint(ctx, db.read, ns, bp); err != nil {
			return nil, err
		}
		return nil, errEntityNotFound(ns, bp, id)
	}
	return e, err
}

func errEntityNotFound(ns, bp, id string) error {
	return notFound("Entity %q of blueprint %q does not exist in namespace %q.", id, bp, ns)
}

// ListEntities returns one page of the entities f selects, by identifier, and the cursor of
// the next page ("" after the last). Search matches a substring of the identifier or title,
// ignoring the case of ASCII letters. A property filter matches a property whose JSON text
// is the value ("3", "true", "\"x\"") or that is the value as a string ("x"). Returns
// EINVALID without a blueprint, for a property name that is not an identifier or a
// malformed cursor, and ENOTFOUND for an unknown namespace or blueprint.
func (db *DB) ListEntities(ctx context.Context, ns string, f ferry.EntityFilter) ([]*ferry.Entity, string, error) {
	if f.Blueprint == "" {
		return nil, "", ferry.Errorf(ferry.EINVALID, "Name the blueprint whose entities to list.")
	}
	page := f.Page.Normalize()
	after, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	_, bpID, err := findBlueprint(ctx, db.read, ns, f.Blueprint)
	if err != nil {
		return nil, "", err
	}
	args := []any{bpID, after}
	arg := func(v any) string {
		args = append(args, v)
		return `$` + strconv.Itoa(len(args))
	}
	where := ` WHERE e.blueprint_id = $1 AND e.identifier > $2`
	if f.Search != "" {
		k := arg("%" + escapeLike(f.Search) + "%")
		where += ` AND (lower(e.identifier) LIKE lower(CAST(` + k + ` AS TEXT)) ESCAPE '\' OR lower(e.title) LIKE lower(CAST(` + k + ` AS TEXT)) ESCAPE '\')`
	}
	for name, value := range f.Properties {
		if err := ferry.ValidateIdentifier("Property name", name); err != nil {
			return nil, "", err
		}
		asString, err := marshalJSON(value)
		if err != nil {
			return nil, "", err
		}
		var prop string
		if db.dialect == Postgres {
			prop = `CAST(CAST(e.properties AS jsonb) -> CAST(` + arg(name) + ` AS TEXT) AS TEXT)`
		} else {
			prop = `(e.properties -> ` + arg(`$."`+name+`"`) + `)`
		}
		where += ` AND ` + prop + ` IN (` + arg(value) + `, ` + arg(asString) + `)`
	}
	limit := arg(page.Limit + 1)
	rows, err := db.read.QueryContext(ctx, `SELECT `+entityColumns+` FROM entities e`+where+` ORDER BY e.identifier LIMIT `+limit, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Entity{}
	for rows.Next() {
		e, err := scanEntity(rows, ns, f.Blueprint)
		if err != nil {
			return nil, "", err
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = encodeCursor(items[len(items)-1].Identifier)
	}
	return items, next, nil
}

// escapeLike escapes the wildcards of a LIKE pattern, with \ as the escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// EntityHistory returns one page of the changes of entity id of blueprint bp in ns, newest
// first, and the cursor of the next page ("" after the last). It outlives the entity and its
// blueprint. Returns ENOTFOUND for an unknown namespace or an entity that never existed,
// and EINVALID for a malformed cursor.
func (db *DB) EntityHistory(ctx context.Context, ns, bp, id string, page ferry.Page) ([]*ferry.EntityChange, string, error) {
	page = page.Normalize()
	before, err := decodeNumberCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	n, err := findNamespace(ctx, db.read, ns, "")
	if err != nil {
		return nil, "", err
	}
	if before == 0 {
		before = live
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, action, entity, source, actor, binding, repository, path, commit_id, source_at, at
		FROM entity_changes WHERE namespace_id = $1 AND blueprint = $2 AND identifier = $3 AND id < $4 ORDER BY id DESC LIMIT $5`,
		n.ID, bp, id, before, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.EntityChange{}
	for rows.Next() {
		c := &ferry.EntityChange{}
		var snap sql.NullString
		p := &c.Source
		if err := rows.Scan(&c.ID, &c.Action, &snap, &p.Source, &p.Actor, &p.Binding, &p.Repository, &p.Path, &p.Commit, &p.At, &c.At); err != nil {
			return nil, "", err
		}
		if snap.Valid {
			if err := json.Unmarshal([]byte(snap.String), &c.Entity); err != nil {
				return nil, "", err
			}
		}
		p.At, c.At = p.At.UTC(), c.At.UTC()
		items = append(items, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(items) == 0 && page.Cursor == "" {
		return nil, "", errEntityNotFound(ns, bp, id)
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = encodeCursor(strconv.FormatInt(items[len(items)-1].ID, 10))
	}
	return items, next, nil
}

// EntitiesFromBinding returns the keys and paths of the entities of ns read from files of
// the git binding called binding. Returns ENOTFOUND for an unknown namespace.
func (db *DB) EntitiesFromBinding(ctx context.Context, ns, binding string) (map[ferry.EntityKey]string, error) {
	n, err := findNamespace(ctx, db.read, ns, "")
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT b.identifier, e.identifier, e.path FROM entities e JOIN blueprints b ON b.id = e.blueprint_id
		WHERE e.namespace_id = $1 AND e.binding = $2 AND e.source = $3`, n.ID, binding, ferry.SourceGit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[ferry.EntityKey]string{}
	for rows.Next() {
		var k ferry.EntityKey
		var path string
		if err := rows.Scan(&k.Blueprint, &k.Identifier, &path); err != nil {
			return nil, err
		}
		out[k] = path
	}
	return out, rows.Err()
}

// EntitiesExist returns which of keys exist in ns: the map holds true for each that does
// and nothing for the others. Returns ENOTFOUND for an unknown namespace.
func (db *DB) EntitiesExist(ctx context.Context, ns string, keys []ferry.EntityKey) (map[ferry.EntityKey]bool, error) {
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
	out := map[ferry.EntityKey]bool{}
	for bpID, idents := range groupKeys(keys, bps) {
		for _, chunk := range chunks(idents, 500) {
			from, args := db.amongIdentifiers(1, bpID, chunk)
			rows, err := db.read.QueryContext(ctx, `SELECT e.identifier`+from, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				k := ferry.EntityKey{Blueprint: names[bpID]}
				if err := rows.Scan(&k.Identifier); err != nil {
					rows.Close()
					return nil, err
				}
				out[k] = true
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
