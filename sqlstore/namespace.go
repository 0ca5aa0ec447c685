package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/ferrygit/ferry"
)

// CreateNamespace stores a new namespace. Returns ECONFLICT if the name is taken.
func (db *DB) CreateNamespace(ctx context.Context, ns *ferry.Namespace) error {
	if err := ns.Validate(); err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO namespaces (name, head, created_at) VALUES ($1, 0, $2) RETURNING id`,
		ns.Name, tx.now).Scan(&ns.ID)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "Namespace %q exists already.", ns.Name)
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	ns.Head, ns.CreatedAt = 0, tx.now
	return tx.Commit()
}

// FindNamespace returns the namespace called name. Returns ENOTFOUND if there is none.
func (db *DB) FindNamespace(ctx context.Context, name string) (*ferry.Namespace, error) {
	return findNamespace(ctx, db.read, name, "")
}

// queryer is what both *sql.DB and *sql.Tx offer, so helpers compose inside a transaction
// or outside one.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// findNamespace reads a namespace; lock is "" or db.forUpdate().
func findNamespace(ctx context.Context, q queryer, name, lock string) (*ferry.Namespace, error) {
	ns := &ferry.Namespace{Name: name}
	err := q.QueryRowContext(ctx, `SELECT id, head, created_at FROM namespaces WHERE name = $1`+lock, name).
		Scan(&ns.ID, &ns.Head, &ns.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Namespace %q does not exist.", name)
	} else if err != nil {
		return nil, err
	}
	ns.CreatedAt = ns.CreatedAt.UTC()
	return ns, nil
}

// ListNamespaces returns namespaces ordered by name, one page at a time.
func (db *DB) ListNamespaces(ctx context.Context, page ferry.Page) ([]*ferry.Namespace, string, error) {
	page = page.Normalize()
	after, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, head, created_at FROM namespaces WHERE name > $1 ORDER BY name LIMIT $2`,
		after, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Namespace{}
	for rows.Next() {
		ns := &ferry.Namespace{}
		if err := rows.Scan(&ns.ID, &ns.Name, &ns.Head, &ns.CreatedAt); err != nil {
			return nil, "", err
		}
		ns.CreatedAt = ns.CreatedAt.UTC()
		items = append(items, ns)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = encodeCursor(items[len(items)-1].Name)
	}
	return items, next, nil
}

// DeleteNamespace removes a namespace with its files and revisions, and the blobs no other
// namespace uses. Returns ENOTFOUND if it does not exist.
func (db *DB) DeleteNamespace(ctx context.Context, name string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, name, db.forUpdate())
	if err != nil {
		return err
	}
	blobs, err := namespaceBlobs(ctx, tx, ns.ID)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM credential_refs WHERE referrer IN
		(SELECT 'binding ' || CAST($2 AS TEXT) || '/' || name FROM bindings WHERE namespace_id = $1)`, ns.ID, ns.Name); err != nil {
		return err
	}
	// Access to the namespace goes with it, so that a namespace made later under the same
	// name starts with none: tokens limited to it are revoked, roles in it removed.
	if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE namespace = $2 AND revoked_at IS NULL`, tx.now, ns.Name); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM user_roles WHERE namespace = $1`, ns.Name); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM bindings WHERE namespace_id = $1`,
		`DELETE FROM files WHERE namespace_id = $1`,
		`DELETE FROM revisions WHERE namespace_id = $1`,
		`DELETE FROM namespaces WHERE id = $1`,
	} {
		if _, err := tx.exec(ctx, q, ns.ID); err != nil {
			return err
		}
	}
	for _, chunk := range chunks(blobs, 500) {
		q := `DELETE FROM blobs WHERE id IN (` + tx.db.placeholders(1, len(chunk)) + `) AND NOT EXISTS (SELECT 1 FROM files WHERE files.blob_id = blobs.id)`
		if _, err := tx.exec(ctx, q, chunk...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// namespaceBlobs returns the distinct blobs that any revision of a namespace uses.
func namespaceBlobs(ctx context.Context, tx *Tx, nsID int64) ([]any, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT blob_id FROM files WHERE namespace_id = $1`, nsID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
