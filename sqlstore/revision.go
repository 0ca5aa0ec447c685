package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ferrygit/ferry"
)

const revisionColumns = `number, parent, created_at, actor, message, source, commit_id, added, modified, deleted, binding`

func scanRevision(ns string, row interface{ Scan(...any) error }) (*ferry.Revision, error) {
	r := &ferry.Revision{Namespace: ns}
	err := row.Scan(&r.Number, &r.Parent, &r.CreatedAt, &r.Actor, &r.Message, &r.Source, &r.Commit, &r.Added, &r.Modified, &r.Deleted, &r.Binding)
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

// ListRevisions returns one page of a namespace's revisions, newest first.
func (db *DB) ListRevisions(ctx context.Context, name string, page ferry.Page) ([]*ferry.Revision, string, error) {
	page = page.Normalize()
	before, err := decodeNumberCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	ns, err := db.FindNamespace(ctx, name)
	if err != nil {
		return nil, "", err
	}
	if before == 0 {
		before = ns.Head + 1
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+revisionColumns+` FROM revisions WHERE namespace_id = $1 AND number < $2 ORDER BY number DESC LIMIT $3`,
		ns.ID, before, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Revision{}
	for rows.Next() {
		r, err := scanRevision(name, rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = encodeCursor(fmt.Sprint(items[len(items)-1].Number))
	}
	return items, next, nil
}

// FindRevision returns revision number rev. Returns ENOTFOUND if it does not exist.
func (db *DB) FindRevision(ctx context.Context, name string, rev int64) (*ferry.Revision, error) {
	ns, err := db.FindNamespace(ctx, name)
	if err != nil {
		return nil, err
	}
	return findRevision(ctx, db.read, ns, rev)
}

func findRevision(ctx context.Context, q queryer, ns *ferry.Namespace, rev int64) (*ferry.Revision, error) {
	r, err := scanRevision(ns.Name, q.QueryRowContext(ctx, `SELECT `+revisionColumns+` FROM revisions WHERE namespace_id = $1 AND number = $2`, ns.ID, rev))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Revision %d does not exist in namespace %q; the newest is %d.", rev, ns.Name, ns.Head)
	}
	return r, err
}

// ListRevisionChanges returns one page of the paths revision rev changed, ordered by path.
// A path's rows are the one the revision opened (from_rev = rev) and the one it closed
// (to_rev = rev): both make a modification, one alone an addition or a deletion.
func (db *DB) ListRevisionChanges(ctx context.Context, name string, rev int64, page ferry.Page) ([]*ferry.RevisionChange, string, error) {
	page = page.Normalize()
	from, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	ns, err := db.FindNamespace(ctx, name)
	if err != nil {
		return nil, "", err
	}
	if _, err := findRevision(ctx, db.read, ns, rev); err != nil {
		return nil, "", err
	}
	// The rows the revision opened and those it closed, each read in path order from its own
	// index and merged here: a path in both was modified. Each side stops after one more
	// path than the page holds, however many the revision changed.
	opened, err := db.changedRows(ctx, `from_rev`, ns.ID, rev, from, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	closed, err := db.changedRows(ctx, `to_rev`, ns.ID, rev, from, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	items := []*ferry.RevisionChange{}
	for len(items) <= page.Limit && (len(opened) > 0 || len(closed) > 0) {
		switch {
		case len(closed) == 0 || len(opened) > 0 && opened[0].Path < closed[0].Path:
			opened[0].Action = ferry.ActionAdded
			items, opened = append(items, opened[0]), opened[1:]
		case len(opened) == 0 || closed[0].Path < opened[0].Path:
			closed[0].Action = ferry.ActionDeleted
			items, closed = append(items, closed[0]), closed[1:]
		default:
			opened[0].Action = ferry.ActionModified
			items, opened, closed = append(items, opened[0]), opened[1:], closed[1:]
		}
	}
	next := ""
	if len(items) > page.Limit {
		next = encodeCursor(items[page.Limit].Path)
		items = items[:page.Limit]
	}
	return items, next, nil
}

// changedRows returns up to limit rows of namespace nsID whose column (from_rev or to_rev)
// is rev, from path from on, in path order.
func (db *DB) changedRows(ctx context.Context, column string, nsID, rev int64, from string, limit int) ([]*ferry.RevisionChange, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT path, blob_id, size, mode FROM files
		WHERE namespace_id = $1 AND `+column+` = $2 AND path >= $3 ORDER BY path LIMIT $4`, nsID, rev, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ferry.RevisionChange
	for rows.Next() {
		var c ferry.RevisionChange
		if err := rows.Scan(&c.Path, &c.Blob, &c.Size, &c.Mode); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// RestoreRevision makes a new revision whose files equal those of revision rev. Only the
// rows that differ are read: those live at rev but closed since, and those opened since.
func (db *DB) RestoreRevision(ctx context.Context, name string, rev int64, actor, message string) (*ferry.Revision, bool, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, name, db.forUpdate())
	if err != nil {
		return nil, false, err
	}
	if rev <= 0 || rev > ns.Head {
		return nil, false, notFound("Revision %d does not exist in namespace %q; the newest is %d.", rev, ns.Name, ns.Head)
	}
	restore, err := scanLive(ctx, tx, `SELECT path, blob_id, size, mode, git_oid FROM files WHERE namespace_id = $1 AND from_rev <= $2 AND to_rev > $2 AND to_rev <> $3`, ns.ID, rev, live)
	if err != nil {
		return nil, false, err
	}
	since, err := scanLive(ctx, tx, `SELECT path, blob_id, size, mode, git_oid FROM files WHERE namespace_id = $1 AND to_rev = $3 AND from_rev > $2`, ns.ID, rev, live)
	if err != nil {
		return nil, false, err
	}
	var ops []op
	for p, f := range restore {
		cur, ok := since[p]
		switch {
		case ok && cur.same(f):
		case ok:
			ops = append(ops, op{path: p, action: ferry.ActionModified, file: f})
		default:
			ops = append(ops, op{path: p, action: ferry.ActionAdded, file: f})
		}
	}
	for p, f := range since {
		if _, ok := restore[p]; !ok {
			ops = append(ops, op{path: p, action: ferry.ActionDeleted, file: f})
		}
	}
	if len(ops) == 0 {
		r, err := findRevision(ctx, tx, ns, ns.Head)
		return r, false, err
	}
	if message == "" {
		message = fmt.Sprintf("Restore revision %d.", rev)
	}
	r, err := tx.writeRevision(ctx, ns, ops, nil, revisionMeta{actor: actor, message: message, source: ferry.SourceRestore})
	if err != nil {
		return nil, false, err
	}
	return r, true, tx.Commit()
}

// scanLive reads (path, blob, size, mode) rows into a map.
func scanLive(ctx context.Context, tx *Tx, query string, args ...any) (map[string]liveFile, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]liveFile{}
	for rows.Next() {
		var p string
		var f liveFile
		if err := rows.Scan(&p, &f.blob, &f.size, &f.mode, &f.gitOID); err != nil {
			return nil, err
		}
		out[p] = f
	}
	return out, rows.Err()
}
