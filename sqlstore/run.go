package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ferrygit/ferry"
)

const runColumns = `r.id, n.name, b.name, r.binding_id, r.kind, r.trigger, r.actor, r.force, r.state, r.result, r.reason, r.message,
	r.queued_at, r.started_at, r.finished_at, r.duration_ms, r.attempt, r.commit_before, r.commit_after, r.revision,
	r.added, r.modified, r.deleted, r.steps, r.push_message, r.tag, r.tag_message, r.from_revision, r.conflict_paths`

const runFrom = ` FROM runs r JOIN bindings b ON b.id = r.binding_id JOIN namespaces n ON n.id = b.namespace_id`

func scanRun(row interface{ Scan(...any) error }) (*ferry.Run, error) {
	r := &ferry.Run{}
	var started, finished sql.NullTime
	var reason, message, steps, conflicts string
	err := row.Scan(&r.ID, &r.Namespace, &r.Binding, &r.BindingID, &r.Kind, &r.Trigger, &r.Actor, &r.Force, &r.State, &r.Result,
		&reason, &message, &r.QueuedAt, &started, &finished, &r.DurationMS, &r.Attempt, &r.CommitBefore, &r.CommitAfter,
		&r.Revision, &r.Added, &r.Modified, &r.Deleted, &steps, &r.PushMessage, &r.Tag, &r.TagMessage, &r.FromRevision, &conflicts)
	if err != nil {
		return nil, err
	}
	r.QueuedAt = r.QueuedAt.UTC()
	r.StartedAt, r.FinishedAt = timePtr(started), timePtr(finished)
	if reason != "" {
		r.Error = &ferry.RunError{Reason: reason, Message: message}
	}
	if err := json.Unmarshal([]byte(steps), &r.Steps); err != nil {
		return nil, fmt.Errorf("run %d: steps: %w", r.ID, err)
	}
	if r.Steps == nil {
		r.Steps = []ferry.RunStep{}
	}
	if err := json.Unmarshal([]byte(conflicts), &r.ConflictPaths); err != nil {
		return nil, fmt.Errorf("run %d: conflict paths: %w", r.ID, err)
	}
	return r, nil
}

// FindRun returns a run of a binding.
func (db *DB) FindRun(ctx context.Context, ns, binding string, id int64) (*ferry.Run, error) {
	r, err := scanRun(db.read.QueryRowContext(ctx, `SELECT `+runColumns+runFrom+` WHERE n.name = $1 AND b.name = $2 AND r.id = $3`, ns, binding, id))
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := db.FindBinding(ctx, ns, binding); err != nil {
			return nil, err
		}
		return nil, notFound("Binding %q has no run %d.", binding, id)
	}
	return r, err
}

// FindRunByID returns a run.
func (db *DB) FindRunByID(ctx context.Context, id int64) (*ferry.Run, error) {
	return findRunByID(ctx, db.read, id)
}

func findRunByID(ctx context.Context, q queryer, id int64) (*ferry.Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+runFrom+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Run %d does not exist.", id)
	}
	return r, err
}

// ListRuns returns one page of a binding's runs, newest first.
func (db *DB) ListRuns(ctx context.Context, ns, binding string, page ferry.Page) ([]*ferry.Run, string, error) {
	page = page.Normalize()
	before, err := decodeNumberCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	b, err := db.FindBinding(ctx, ns, binding)
	if err != nil {
		return nil, "", err
	}
	if before == 0 {
		before = int64(live)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+runColumns+runFrom+` WHERE r.binding_id = $1 AND r.id < $2 ORDER BY r.id DESC LIMIT $3`,
		b.ID, before, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
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
		next = encodeCursor(fmt.Sprint(items[len(items)-1].ID))
	}
	return items, next, nil
}

// QueueRun records a queued run, or coalesces: when the binding already has a run of that
// kind waiting, it returns that run (made forced if this one is) and true. A run waiting to
// be retried after a failure gives way to the new one. The caller enqueues the job of a new
// run once this returns; a crash in between leaves a queued run that the scheduler's sweep
// enqueues again. Returns ENOTFOUND for an unknown binding.
func (db *DB) QueueRun(ctx context.Context, req ferry.RunRequest) (*ferry.Run, bool, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var state string
	err = tx.QueryRowContext(ctx, `SELECT state FROM bindings WHERE id = $1`+db.forUpdate(), req.BindingID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, notFound("Binding %d does not exist.", req.BindingID)
	} else if err != nil {
		return nil, false, err
	}
	var waiting int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE binding_id = $1 AND kind = $2 AND state = $3 ORDER BY id LIMIT 1`,
		req.BindingID, req.Kind, ferry.RunQueued).Scan(&waiting)
	if req.Kind == ferry.RunPush {
		err = sql.ErrNoRows // each push carries its own message and tag: pushes queue, never coalesce
	}
	switch {
	case err == nil:
		if req.Force {
			if _, err := tx.exec(ctx, `UPDATE runs SET force = TRUE WHERE id = $1`, waiting); err != nil {
				return nil, false, err
			}
		}
		r, err := findRunByID(ctx, tx, waiting)
		if err != nil {
			return nil, false, err
		}
		return r, true, tx.Commit()
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO runs (binding_id, kind, trigger, actor, force, state, queued_at, push_message, tag, tag_message, from_revision)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		req.BindingID, req.Kind, req.Trigger, req.Actor, req.Force, ferry.RunQueued, tx.now, req.PushMessage, req.Tag, req.TagMessage, req.FromRevision).Scan(&id)
	if err != nil {
		return nil, false, err
	}
	tx.db.rowsWritten.Add(1)
	if _, err := tx.exec(ctx, `UPDATE runs SET state = $1, result = $2, finished_at = $3, message = $4
		WHERE binding_id = $5 AND kind = $6 AND state = $7`,
		ferry.RunDone, ferry.ResultFailed, tx.now, fmt.Sprintf("Superseded by run %d before its retry.", id), req.BindingID, req.Kind, ferry.RunRetrying); err != nil {
		return nil, false, err
	}
	if state != ferry.StateRunning {
		if _, err := tx.exec(ctx, `UPDATE bindings SET state = $1 WHERE id = $2`, ferry.StateQueued, req.BindingID); err != nil {
			return nil, false, err
		}
	}
	r, err := findRunByID(ctx, tx, id)
	if err != nil {
		return nil, false, err
	}
	return r, false, tx.Commit()
}

// StartRun marks run id running and returns it with its binding. A run that is done
// already comes back as it is, for the caller to skip. Returns ECONFLICT while another run
// of the binding is running: one at a time.
func (db *DB) StartRun(ctx context.Context, id int64) (*ferry.Run, *ferry.Binding, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	r, err := findRunByID(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	if r.State == ferry.RunDone {
		return r, nil, nil
	}
	var busy int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE binding_id = $1 AND state = $2 AND id <> $3 LIMIT 1`, r.BindingID, ferry.RunRunning, id).Scan(&busy)
	if err == nil {
		return nil, nil, ferry.Errorf(ferry.ECONFLICT, "Run %d of this binding is under way.", busy)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, err
	}
	r.State, r.Attempt, r.StartedAt = ferry.RunRunning, r.Attempt+1, &tx.now
	if _, err := tx.exec(ctx, `UPDATE runs SET state = $1, attempt = $2, started_at = $3 WHERE id = $4`, r.State, r.Attempt, tx.now, id); err != nil {
		return nil, nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE bindings SET state = $1, last_run = $2 WHERE id = $3`, ferry.StateRunning, id, r.BindingID); err != nil {
		return nil, nil, err
	}
	b, err := findBindingByID(ctx, tx, r.BindingID)
	if err != nil {
		return nil, nil, err
	}
	return r, b, tx.Commit()
}

// FinishRun records the end of an attempt of r: its result, counts, log and error, and the
// binding's status that follows. A run whose result is ResultFailed is retrying when retry
// is set (its state becomes RunRetrying), else done.
func (db *DB) FinishRun(ctx context.Context, r *ferry.Run, retry bool) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := tx.now
	r.State, r.FinishedAt = ferry.RunDone, &now
	if retry && r.Result == ferry.ResultFailed {
		r.State = ferry.RunRetrying
	}
	if r.StartedAt != nil {
		r.DurationMS = now.Sub(*r.StartedAt).Milliseconds()
	}
	steps, err := json.Marshal(r.Steps)
	if err != nil {
		return err
	}
	reason, message := "", ""
	if r.Error != nil {
		reason, message = r.Error.Reason, r.Error.Message
	}
	conflicts, err := json.Marshal(r.ConflictPaths)
	if err != nil {
		return err
	}
	if r.ConflictPaths == nil {
		conflicts = []byte("[]")
	}
	if _, err := tx.exec(ctx, `UPDATE runs SET state = $1, result = $2, reason = $3, message = $4, finished_at = $5, duration_ms = $6,
		commit_before = $7, commit_after = $8, revision = $9, added = $10, modified = $11, deleted = $12, steps = $13, force = $14,
		conflict_paths = $15 WHERE id = $16`,
		r.State, r.Result, reason, message, now, r.DurationMS, r.CommitBefore, r.CommitAfter, r.Revision, r.Added, r.Modified, r.Deleted,
		string(steps), r.Force, string(conflicts), r.ID); err != nil {
		return err
	}
	if err := tx.updateBindingStatus(ctx, r, now); err != nil {
		return err
	}
	return tx.Commit()
}

// updateBindingStatus moves a binding's status on from a finished attempt of r.
func (tx *Tx) updateBindingStatus(ctx context.Context, r *ferry.Run, now time.Time) error {
	var queued int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs WHERE binding_id = $1 AND state = $2`, r.BindingID, ferry.RunQueued).Scan(&queued); err != nil {
		return err
	}
	switch r.Result {
	case ferry.ResultApplied, ferry.ResultUpToDate:
		state := ferry.StateOK
		if queued > 0 {
			state = ferry.StateQueued
		}
		q := `UPDATE bindings SET state = $1, last_commit = $2, remote_commit = $2, last_success_at = $3, last_checked_at = $3,
			consecutive_failures = 0, last_reason = '', last_message = ''`
		args := []any{state, r.CommitAfter, now}
		if r.Revision > 0 {
			q += `, last_revision = $5`
			args = append(args, r.BindingID, r.Revision)
		} else {
			args = append(args, r.BindingID)
		}
		_, err := tx.exec(ctx, q+` WHERE id = $4`, args...)
		return err
	default:
		state := ferry.StateFailed
		if r.Result == ferry.ResultStalled {
			state = ferry.StateStalled
		}
		reason, message := "", ""
		if r.Error != nil {
			reason, message = r.Error.Reason, r.Error.Message
		}
		_, err := tx.exec(ctx, `UPDATE bindings SET state = $1, last_checked_at = $2, consecutive_failures = consecutive_failures + 1,
			last_reason = $3, last_message = $4 WHERE id = $5`, state, now, reason, message, r.BindingID)
		return err
	}
}

// DueBindings returns up to limit bindings with a schedule whose next run time has come.
func (db *DB) DueBindings(ctx context.Context, now time.Time, limit int) ([]*ferry.Binding, error) {
	items, _, err := db.queryBindings(ctx, `SELECT `+bindingColumns+bindingFrom+
		` WHERE b.schedule <> '' AND b.next_run_at IS NOT NULL AND b.next_run_at <= $1 ORDER BY b.next_run_at LIMIT $2`, 0, now.UTC(), limit)
	return items, err
}

// SetNextRun records when a binding's schedule next fires and, when checked is set, that
// its remote was looked at now and its branch found at remoteCommit.
func (db *DB) SetNextRun(ctx context.Context, bindingID int64, next *time.Time, checked bool, remoteCommit string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	q := `UPDATE bindings SET next_run_at = $1 WHERE id = $2`
	args := []any{nullTime(next), bindingID}
	if checked {
		q = `UPDATE bindings SET next_run_at = $1, last_checked_at = $3, remote_commit = $4 WHERE id = $2`
		args = append(args, tx.now, remoteCommit)
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteRunsBefore removes the runs that finished before t, and returns how many.
func (db *DB) DeleteRunsBefore(ctx context.Context, t time.Time) (int64, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `DELETE FROM runs WHERE state = $1 AND finished_at < $2`, ferry.RunDone, t.UTC())
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// QueuedRuns returns the IDs of runs queued before t, for the sweep that makes sure each has
// its job.
func (db *DB) QueuedRuns(ctx context.Context, before time.Time, limit int) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM runs WHERE state = $1 AND queued_at < $2 ORDER BY id LIMIT $3`, ferry.RunQueued, before.UTC(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
