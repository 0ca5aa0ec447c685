package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/ferrygit/ferry"
)

var _ ferry.CatalogStore = (*DB)(nil)

const blueprintColumns = `b.id, b.identifier, b.title, b.schema, b.relations, b.created_at, b.updated_at`

// scanBlueprint reads a row of blueprintColumns into a blueprint of namespace ns and returns
// it with its row ID.
func scanBlueprint(row scanner, ns string) (*ferry.Blueprint, int64, error) {
	b := &ferry.Blueprint{Namespace: ns}
	var id int64
	var schema, relations string
	if err := row.Scan(&id, &b.Identifier, &b.Title, &schema, &relations, &b.CreatedAt, &b.UpdatedAt); err != nil {
		return nil, 0, err
	}
	b.Schema = json.RawMessage(schema)
	if relations != "{}" {
		if err := json.Unmarshal([]byte(relations), &b.Relations); err != nil {
			return nil, 0, err
		}
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, id, nil
}

// blueprintJSON returns b's schema and relations as compact JSON text; an empty schema is {}.
func blueprintJSON(b *ferry.Blueprint) (schema, relations string, err error) {
	var buf bytes.Buffer
	if len(b.Schema) == 0 {
		buf.WriteString("{}")
	} else if err := json.Compact(&buf, b.Schema); err != nil {
		return "", "", ferry.Errorf(ferry.EINVALID, "The schema of blueprint %q is not valid JSON.", b.Identifier)
	}
	rel := b.Relations
	if rel == nil {
		rel = map[string]ferry.Relation{}
	}
	r, err := json.Marshal(rel)
	return buf.String(), string(r), err
}

// CreateBlueprint stores b and sets its times. Returns ENOTFOUND for an unknown namespace
// and ECONFLICT if the identifier is taken.
func (db *DB) CreateBlueprint(ctx context.Context, b *ferry.Blueprint) error {
	schema, relations, err := blueprintJSON(b)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, b.Namespace, db.forUpdate())
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO blueprints (namespace_id, identifier, title, schema, relations, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, ns.ID, b.Identifier, b.Title, schema, relations, tx.now)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "Blueprint %q exists already in namespace %q.", b.Identifier, ns.Name)
	} else if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	b.CreatedAt, b.UpdatedAt = tx.now, tx.now
	return nil
}

// FindBlueprint returns blueprint id of namespace ns. Returns ENOTFOUND if the namespace or
// the blueprint does not exist.
func (db *DB) FindBlueprint(ctx context.Context, ns, id string) (*ferry.Blueprint, error) {
	b, _, err := findBlueprint(ctx, db.read, ns, id)
	return b, err
}

// findBlueprint returns a blueprint and its row ID.
func findBlueprint(ctx context.Context, q queryer, ns, id string) (*ferry.Blueprint, int64, error) {
	b, rowID, err := scanBlueprint(q.QueryRowContext(ctx, `SELECT `+blueprintColumns+` FROM blueprints b
		JOIN namespaces n ON n.id = b.namespace_id WHERE n.name = $1 AND b.identifier = $2`, ns, id), ns)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := findNamespace(ctx, q, ns, ""); err != nil {
			return nil, 0, err
		}
		return nil, 0, notFound("Blueprint %q does not exist in namespace %q.", id, ns)
	}
	return b, rowID, err
}

// ListBlueprints returns the blueprints of ns by identifier. Returns ENOTFOUND for an
// unknown namespace.
func (db *DB) ListBlueprints(ctx context.Context, ns string) ([]*ferry.Blueprint, error) {
	n, err := findNamespace(ctx, db.read, ns, "")
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+blueprintColumns+` FROM blueprints b WHERE b.namespace_id = $1 ORDER BY b.identifier`, n.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []*ferry.Blueprint{}
	for rows.Next() {
		b, _, err := scanBlueprint(rows, ns)
		if err != nil {
			return nil, err
		}
		items = append(items, b)
	}
	return items, rows.Err()
}

// UpdateBlueprint replaces b's title, schema and relations, marks the entities named in
// invalid invalid with their violations and every other entity of b valid, all in one
// transaction, and sets b's times. Returns ENOTFOUND if the blueprint does not exist.
func (db *DB) UpdateBlueprint(ctx context.Context, b *ferry.Blueprint, invalid map[string][]ferry.Violation) error {
	schema, relations, err := blueprintJSON(b)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, b.Namespace, db.forUpdate())
	if err != nil {
		return err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `UPDATE blueprints SET title = $1, schema = $2, relations = $3, updated_at = $4
		WHERE namespace_id = $5 AND identifier = $6 RETURNING id, created_at`, b.Title, schema, relations, tx.now, ns.ID, b.Identifier).
		Scan(&id, &b.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Blueprint %q does not exist in namespace %q.", b.Identifier, ns.Name)
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	if _, err := tx.exec(ctx, `UPDATE entities SET invalid = FALSE, violations = NULL WHERE blueprint_id = $1 AND invalid`, id); err != nil {
		return err
	}
	for ident, vs := range invalid {
		var v sql.NullString
		if len(vs) > 0 {
			b, err := json.Marshal(vs)
			if err != nil {
				return err
			}
			v = sql.NullString{String: string(b), Valid: true}
		}
		if _, err := tx.exec(ctx, `UPDATE entities SET invalid = TRUE, violations = $1 WHERE blueprint_id = $2 AND identifier = $3`,
			v, id, ident); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), tx.now
	return nil
}

// DeleteBlueprint removes blueprint id of ns; with cascade its entities too, recording
// their deletion with source api. Returns ENOTFOUND if it does not exist and ECONFLICT
// while it has entities and cascade is false.
func (db *DB) DeleteBlueprint(ctx context.Context, ns, id string, cascade bool) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findNamespace(ctx, tx, ns, db.forUpdate()); err != nil {
		return err
	}
	_, rowID, err := findBlueprint(ctx, tx, ns, id)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM entities WHERE blueprint_id = $1`, rowID).Scan(&n); err != nil {
		return err
	}
	if n > 0 && !cascade {
		return ferry.Errorf(ferry.ECONFLICT, "Blueprint %q has %d entities; delete them first or use ?cascade=true.", id, n)
	}
	if n > 0 {
		src := ferry.Provenance{Source: "api", At: tx.now}
		if err := tx.recordDeletions(ctx, rowID, id, nil, src); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM entities WHERE blueprint_id = $1`, rowID); err != nil {
			return err
		}
	}
	if _, err := tx.exec(ctx, `DELETE FROM blueprints WHERE id = $1`, rowID); err != nil {
		return err
	}
	return tx.Commit()
}
