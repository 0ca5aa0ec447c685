package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ferrygit/ferry"
)

const bindingColumns = `b.id, n.name, b.name, b.directory, b.url, b.ref, b.path, COALESCE(c.name, ''), b.direction, b.schedule,
	b.created_at, b.updated_at, b.state, b.last_run, b.last_commit, b.last_revision, b.last_success_at, b.next_run_at,
	b.consecutive_failures, b.last_reason, b.last_message, b.remote_commit,
	CASE WHEN b.last_revision > 0 AND EXISTS (SELECT 1 FROM files f WHERE f.namespace_id = b.namespace_id
		AND (f.from_rev > b.last_revision OR (f.to_rev > b.last_revision AND f.to_rev <> ` + liveSQL + `))
		AND (b.directory = '' OR (f.path >= b.directory || '/' AND f.path < b.directory || '0'))) THEN 1 ELSE 0 END,
	b.provider, b.repository, b.hook_id, b.deploy_key_id, b.provider_error, b.entity_glob, b.entity_commit`

const bindingFrom = ` FROM bindings b JOIN namespaces n ON n.id = b.namespace_id LEFT JOIN credentials c ON c.id = b.credential_id`

func scanBinding(row interface{ Scan(...any) error }) (*ferry.Binding, error) {
	b := &ferry.Binding{}
	var success, next sql.NullTime
	var reason, message, glob string
	err := row.Scan(&b.ID, &b.Namespace, &b.Name, &b.Directory, &b.URL, &b.Ref, &b.Path, &b.Credential, &b.Direction, &b.Schedule,
		&b.CreatedAt, &b.UpdatedAt, &b.Status.State, &b.Status.LastRun, &b.Status.LastCommit, &b.Status.LastRevision, &success, &next,
		&b.Status.ConsecutiveFailures, &reason, &message, &b.Status.RemoteCommit, &b.Status.Ahead,
		&b.Provider, &b.Repository, &b.HookID, &b.DeployKeyID, &b.ProviderError, &glob, &b.Status.EntityCommit)
	if err != nil {
		return nil, err
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	b.Status.LastSuccessAt, b.Status.NextRunAt = timePtr(success), timePtr(next)
	b.Status.Behind = b.Status.RemoteCommit != "" && b.Status.RemoteCommit != b.Status.LastCommit
	if glob != "" {
		b.Entities = &ferry.EntitySpec{Glob: glob}
	}
	if reason != "" {
		b.Status.LastError = &ferry.RunError{Reason: reason, Message: message}
	}
	return b, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// entityGlob returns b's entity glob, "" for none.
func entityGlob(b *ferry.Binding) string {
	if b.Entities == nil {
		return ""
	}
	return b.Entities.Glob
}

// referrer names a binding in credential_refs, as DeleteCredential shows it.
func referrer(ns, name string) string { return "binding " + ns + "/" + name }

// CreateBinding stores a binding; see ferry.BindingService.
func (db *DB) CreateBinding(ctx context.Context, b *ferry.Binding) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, b.Namespace, db.forUpdate())
	if err != nil {
		return err
	}
	credID, err := tx.bindingCheck(ctx, ns, b)
	if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO bindings (namespace_id, name, directory, url, ref, path, credential_id, direction, schedule,
		created_at, updated_at, next_run_at, provider, repository, entity_glob) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14) RETURNING id`,
		ns.ID, b.Name, b.Directory, b.URL, b.Ref, b.Path, credID, b.Direction, b.Schedule, tx.now, nullTime(b.Status.NextRunAt), b.Provider, b.Repository, entityGlob(b)).Scan(&b.ID)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "Namespace %q has a binding called %q already.", ns.Name, b.Name)
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	if err := tx.addCredentialRef(ctx, credID, referrer(ns.Name, b.Name)); err != nil {
		return err
	}
	b.CreatedAt, b.UpdatedAt, b.Status.State = tx.now, tx.now, ferry.StateIdle
	return tx.Commit()
}

// bindingCheck returns the ID of b's credential (nil for none) and refuses a directory that
// overlaps another binding's. Returns ENOTFOUND for an unknown credential.
func (tx *Tx) bindingCheck(ctx context.Context, ns *ferry.Namespace, b *ferry.Binding) (any, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, directory FROM bindings WHERE namespace_id = $1`, ns.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, dir string
		if err := rows.Scan(&id, &name, &dir); err != nil {
			return nil, err
		}
		if id != b.ID && ferry.DirsOverlap(dir, b.Directory) {
			return nil, ferry.Errorf(ferry.ECONFLICT, "Directory %q overlaps directory %q of binding %q; a directory can follow only one repository.", "/"+b.Directory, "/"+dir, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The provider's and credential's rows are share-locked (on PostgreSQL) until the
	// binding is stored, so that neither can be deleted in between without seeing it.
	if b.Provider != "" {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM providers WHERE name = $1`+tx.db.forShare(), b.Provider).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("Provider %q does not exist; connect it first (ferry provider create).", b.Provider)
		} else if err != nil {
			return nil, err
		}
	}
	if b.Credential == "" {
		return nil, nil
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM credentials WHERE name = $1`+tx.db.forShare(), b.Credential).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Credential %q does not exist; create it first (ferry cred create).", b.Credential)
	}
	return id, err
}

func (tx *Tx) addCredentialRef(ctx context.Context, credID any, ref string) error {
	if credID == nil {
		return nil
	}
	_, err := tx.exec(ctx, `INSERT INTO credential_refs (credential_id, referrer) VALUES ($1, $2) ON CONFLICT DO NOTHING`, credID, ref)
	return err
}

// FindBinding returns a binding with its status.
func (db *DB) FindBinding(ctx context.Context, ns, name string) (*ferry.Binding, error) {
	b, err := scanBinding(db.read.QueryRowContext(ctx, `SELECT `+bindingColumns+bindingFrom+` WHERE n.name = $1 AND b.name = $2`, ns, name))
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := db.FindNamespace(ctx, ns); err != nil {
			return nil, err
		}
		return nil, notFound("Namespace %q has no binding called %q.", ns, name)
	}
	return b, err
}

// FindBindingByID returns a binding with its status.
func (db *DB) FindBindingByID(ctx context.Context, id int64) (*ferry.Binding, error) {
	return findBindingByID(ctx, db.read, id)
}

func findBindingByID(ctx context.Context, q queryer, id int64) (*ferry.Binding, error) {
	b, err := scanBinding(q.QueryRowContext(ctx, `SELECT `+bindingColumns+bindingFrom+` WHERE b.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Binding %d does not exist.", id)
	}
	return b, err
}

// ListBindings returns one page of a namespace's bindings, ordered by name.
func (db *DB) ListBindings(ctx context.Context, ns string, page ferry.Page) ([]*ferry.Binding, string, error) {
	page = page.Normalize()
	after, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	if _, err := db.FindNamespace(ctx, ns); err != nil {
		return nil, "", err
	}
	return db.queryBindings(ctx, `SELECT `+bindingColumns+bindingFrom+` WHERE n.name = $1 AND b.name > $2 ORDER BY b.name LIMIT $3`,
		page.Limit, ns, after, page.Limit+1)
}

// queryBindings runs a binding query and cuts its answer into a page of limit items.
func (db *DB) queryBindings(ctx context.Context, query string, limit int, args ...any) ([]*ferry.Binding, string, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Binding{}
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, b)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if limit > 0 && len(items) > limit {
		items = items[:limit]
		next = encodeCursor(items[len(items)-1].Name)
	}
	return items, next, nil
}

// UpdateBinding stores b's configuration and next scheduled time. A stalled binding becomes
// idle: what stalled it may be fixed.
func (db *DB) UpdateBinding(ctx context.Context, b *ferry.Binding) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, b.Namespace, db.forUpdate())
	if err != nil {
		return err
	}
	credID, err := tx.bindingCheck(ctx, ns, b)
	if err != nil {
		return err
	}
	n, err := tx.exec(ctx, `UPDATE bindings SET directory = $1, url = $2, ref = $3, path = $4, credential_id = $5, direction = $6,
		schedule = $7, next_run_at = $8, updated_at = $9, state = CASE WHEN state = 'stalled' THEN 'idle' ELSE state END,
		provider = $12, repository = $13, hook_id = $14, deploy_key_id = $15, entity_glob = $16,
		entity_commit = CASE WHEN entity_glob = $16 THEN entity_commit ELSE '' END
		WHERE id = $10 AND namespace_id = $11`,
		b.Directory, b.URL, b.Ref, b.Path, credID, b.Direction, b.Schedule, nullTime(b.Status.NextRunAt), tx.now, b.ID, ns.ID,
		b.Provider, b.Repository, b.HookID, b.DeployKeyID, entityGlob(b))
	if err != nil {
		return err
	} else if n == 0 {
		return notFound("Namespace %q has no binding called %q.", ns.Name, b.Name)
	}
	ref := referrer(ns.Name, b.Name)
	if _, err := tx.exec(ctx, `DELETE FROM credential_refs WHERE referrer = $1`, ref); err != nil {
		return err
	}
	if err := tx.addCredentialRef(ctx, credID, ref); err != nil {
		return err
	}
	b.UpdatedAt = tx.now
	return tx.Commit()
}

// DeleteBinding removes a binding and its runs.
func (db *DB) DeleteBinding(ctx context.Context, ns, name string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `DELETE FROM bindings WHERE name = $1 AND namespace_id = (SELECT id FROM namespaces WHERE name = $2)`, name, ns)
	if err != nil {
		return err
	} else if n == 0 {
		if _, err := findNamespace(ctx, tx, ns, ""); err != nil {
			return err
		}
		return notFound("Namespace %q has no binding called %q.", ns, name)
	}
	if _, err := tx.exec(ctx, `DELETE FROM credential_refs WHERE referrer = $1`, referrer(ns, name)); err != nil {
		return err
	}
	return tx.Commit()
}

// SetBindingProviderIDs records the ids of the webhook and deploy key Ferry created at the
// provider for binding id ("" for none), and clears its provider error. Returns ENOTFOUND
// if there is no such binding.
func (db *DB) SetBindingProviderIDs(ctx context.Context, id int64, hookID, deployKeyID string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `UPDATE bindings SET hook_id = $1, deploy_key_id = $2, provider_error = '' WHERE id = $3`, hookID, deployKeyID, id)
	if err != nil {
		return err
	} else if n == 0 {
		return notFound("There is no binding %d.", id)
	}
	return tx.Commit()
}

// SetBindingProviderError records msg as binding id's last failure at its provider. Returns
// ENOTFOUND if there is no such binding.
func (db *DB) SetBindingProviderError(ctx context.Context, id int64, msg string) error {
	n, err := db.write.ExecContext(ctx, `UPDATE bindings SET provider_error = $1 WHERE id = $2`, msg, id)
	if err != nil {
		return err
	}
	if k, err := n.RowsAffected(); err != nil {
		return err
	} else if k == 0 {
		return notFound("There is no binding %d.", id)
	}
	return nil
}

// SetBindingEntityCommit records that the catalog holds the entities of binding id's files
// at commit. Returns ENOTFOUND if there is no such binding.
func (db *DB) SetBindingEntityCommit(ctx context.Context, id int64, commit string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE bindings SET entity_commit = $1 WHERE id = $2`, commit, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound("There is no binding %d.", id)
	}
	return nil
}
