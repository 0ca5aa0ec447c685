package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns the value of key. Returns ENOTFOUND if it is not set.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var value string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("Setting %q is not set.", key)
	}
	return value, err
}

// InitSetting sets key to value unless it is set already, and reports whether it did.
func (db *DB) InitSetting(ctx context.Context, key, value string) (bool, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value)
	if err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}
