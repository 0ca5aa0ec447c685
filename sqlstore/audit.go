package sqlstore

import (
	"context"
	"strconv"

	"github.com/ferrygit/ferry"
)

var _ ferry.AuditService = (*DB)(nil)

// RecordAudit appends e and sets e.ID, and e.Time to now when it is zero.
func (db *DB) RecordAudit(ctx context.Context, e *ferry.AuditEntry) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	at := tx.now
	if !e.Time.IsZero() {
		at = e.Time.UTC()
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO audit_log (time, actor, actor_name, action, target, namespace, status, result, remote_addr)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		at, e.Actor, e.ActorName, e.Action, e.Target, e.Namespace, e.Status, e.Result, e.RemoteAddr).Scan(&id); err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	if err := tx.Commit(); err != nil {
		return err
	}
	e.ID, e.Time = id, at
	return nil
}

// ListAudit returns one page of the entries f selects, newest first, and the cursor of the
// next page ("" after the last). Returns EINVALID for a malformed cursor.
func (db *DB) ListAudit(ctx context.Context, f ferry.AuditFilter) ([]*ferry.AuditEntry, string, error) {
	page := f.Page.Normalize()
	before, err := decodeNumberCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	if before == 0 {
		before = live
	}
	where, args := ` WHERE id < $1`, []any{before}
	and := func(cond string, arg any) {
		args = append(args, arg)
		where += ` AND ` + cond + ` $` + strconv.Itoa(len(args))
	}
	if f.Actor != "" {
		and(`actor =`, f.Actor)
	}
	if f.Action != "" {
		and(`action =`, f.Action)
	}
	if f.Namespace != "" {
		and(`namespace =`, f.Namespace)
	}
	if !f.Since.IsZero() {
		and(`time >=`, f.Since.UTC())
	}
	if !f.Until.IsZero() {
		and(`time <`, f.Until.UTC())
	}
	args = append(args, page.Limit+1)
	rows, err := db.read.QueryContext(ctx, `SELECT id, time, actor, actor_name, action, target, namespace, status, result, remote_addr
		FROM audit_log`+where+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.AuditEntry{}
	for rows.Next() {
		e := &ferry.AuditEntry{}
		if err := rows.Scan(&e.ID, &e.Time, &e.Actor, &e.ActorName, &e.Action, &e.Target, &e.Namespace, &e.Status, &e.Result,
			&e.RemoteAddr); err != nil {
			return nil, "", err
		}
		e.Time = e.Time.UTC()
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = encodeCursor(strconv.FormatInt(items[len(items)-1].ID, 10))
	}
	return items, next, nil
}
