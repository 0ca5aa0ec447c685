package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/ferrygit/ferry"
)

var _ ferry.TokenService = (*DB)(nil)

// touchInterval is how stale a token's last use must be before TouchToken writes it again.
const touchInterval = time.Minute

const tokenColumns = `id, description, permissions, namespace, created_by, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row scanner) (*ferry.Token, error) {
	t := &ferry.Token{}
	var perms string
	var expires, used, revoked sql.NullTime
	if err := row.Scan(&t.ID, &t.Description, &perms, &t.Namespace, &t.CreatedBy, &t.CreatedAt, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(perms), &t.Permissions); err != nil {
		return nil, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timeOrZero(expires), timeOrZero(used), timeOrZero(revoked)
	return t, nil
}

// timeOrZero returns t in UTC, or the zero time for NULL.
func timeOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullIfZero returns t in UTC, or NULL for the zero time.
func nullIfZero(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// CreateToken stores t with the token's hash and sets t.ID and t.CreatedAt.
func (db *DB) CreateToken(ctx context.Context, t *ferry.Token, hash [32]byte) error {
	perms := t.Permissions
	if perms == nil {
		perms = []ferry.Permission{}
	}
	b, err := json.Marshal(perms)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO api_tokens (description, permissions, namespace, created_by, created_at, expires_at, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		t.Description, string(b), t.Namespace, t.CreatedBy, tx.now, nullIfZero(t.ExpiresAt), hash[:]).Scan(&t.ID)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "A token with the same hash exists already; make a new token.")
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	if err := tx.Commit(); err != nil {
		return err
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = tx.now, time.Time{}, time.Time{}
	if !t.ExpiresAt.IsZero() {
		t.ExpiresAt = t.ExpiresAt.UTC()
	}
	return nil
}

// FindTokenByHash returns the token whose hash is hash, revoked and expired ones included.
// Returns ENOTFOUND if there is none.
func (db *DB) FindTokenByHash(ctx context.Context, hash [32]byte) (*ferry.Token, error) {
	t, err := scanToken(db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("The API token is not known; check that it was copied whole, or make a new one.")
	}
	return t, err
}

// FindToken returns token id. Returns ENOTFOUND if there is none.
func (db *DB) FindToken(ctx context.Context, id int64) (*ferry.Token, error) {
	return findToken(ctx, db.read, id)
}

func findToken(ctx context.Context, q queryer, id int64) (*ferry.Token, error) {
	t, err := scanToken(q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Token %d does not exist.", id)
	}
	return t, err
}

// ListTokens returns tokens by ID, newest first, revoked ones only when includeRevoked.
func (db *DB) ListTokens(ctx context.Context, includeRevoked bool) ([]*ferry.Token, error) {
	q := `SELECT ` + tokenColumns + ` FROM api_tokens`
	if !includeRevoked {
		q += ` WHERE revoked_at IS NULL`
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []*ferry.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, t)
	}
	return items, rows.Err()
}

// RevokeToken marks token id revoked now. Returns ENOTFOUND if there is none or it was
// revoked already.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, tx.now, id)
	if err != nil {
		return err
	}
	if n == 0 {
		t, err := findToken(ctx, tx, id)
		if err != nil {
			return err
		}
		return notFound("Token %d was revoked already, at %s.", id, t.RevokedAt.Format(time.RFC3339))
	}
	return tx.Commit()
}

// TouchToken records that token id was used at t, writing only when the last recorded use
// is more than a minute older, so that a busy token costs one write a minute.
func (db *DB) TouchToken(ctx context.Context, id int64, t time.Time) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
		t.UTC(), id, t.Add(-touchInterval).UTC()); err != nil {
		return err
	}
	return tx.Commit()
}
