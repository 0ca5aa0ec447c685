package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// credentialColumns are the public columns of a credential, in the order scanCredential reads.
const credentialColumns = `id, name, kind, username, public_key, fingerprint, algorithm, generated, created_at, updated_at, rotated_at, app_id, installation_id`

// secretContext is the additional data a credential's secret is sealed with: a sealed
// secret opens only for the credential it was sealed for.
func secretContext(name string) []byte { return []byte("credential/" + name) }

// seal encodes and seals a secret for credential name.
func (db *DB) seal(name string, s *ferry.CredentialSecret) ([]byte, error) {
	if db.sealer == nil {
		return nil, errNoSealer
	}
	plain, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return db.sealer.Seal(plain, secretContext(name))
}

// errNoSealer is returned by the credential methods of a DB opened without a Sealer.
var errNoSealer = ferry.Errorf(ferry.EUNAVAILABLE, "Credentials are unavailable: the server has no secret key.")

// CreateCredential stores a new credential with its secret sealed. Returns EINVALID for a
// bad credential and ECONFLICT if the name is taken.
func (db *DB) CreateCredential(ctx context.Context, c *ferry.Credential) error {
	if err := c.Validate(); err != nil {
		return err
	}
	sealed, err := db.seal(c.Name, c.Secret)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO credentials (name, kind, username, public_key, fingerprint, algorithm, generated, secret, created_at, updated_at, app_id, installation_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING id`,
		c.Name, c.Kind, c.Username, c.PublicKey, c.Fingerprint, c.Algorithm, c.Generated, sealed, tx.now, c.AppID, c.InstallationID).Scan(&c.ID)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "Credential %q exists already.", c.Name)
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	c.CreatedAt, c.UpdatedAt, c.RotatedAt = tx.now, tx.now, time.Time{}
	return tx.Commit()
}

// FindCredential returns the public half of credential name. Returns ENOTFOUND if there is none.
func (db *DB) FindCredential(ctx context.Context, name string) (*ferry.Credential, error) {
	return findCredential(ctx, db.read, name, "")
}

// findCredential reads a credential's public half; lock is "" or db.forUpdate().
func findCredential(ctx context.Context, q queryer, name, lock string) (*ferry.Credential, error) {
	c, err := scanCredential(q.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE name = $1`+lock, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Credential %q does not exist.", name)
	}
	return c, err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanCredential(row scanner) (*ferry.Credential, error) {
	c := &ferry.Credential{}
	var rotated sql.NullTime
	if err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.Username, &c.PublicKey, &c.Fingerprint, &c.Algorithm, &c.Generated,
		&c.CreatedAt, &c.UpdatedAt, &rotated, &c.AppID, &c.InstallationID); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if rotated.Valid {
		c.RotatedAt = rotated.Time.UTC()
	}
	return c, nil
}

// ListCredentials returns credentials ordered by name, one page at a time.
func (db *DB) ListCredentials(ctx context.Context, page ferry.Page) ([]*ferry.Credential, string, error) {
	page = page.Normalize()
	after, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE name > $1 ORDER BY name LIMIT $2`,
		after, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Credential{}
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, c)
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

// UpdateCredential replaces the public fields of credential c.Name and, when c.Secret is
// set, its secret, in one transaction, and fills c from the stored row. Returns ENOTFOUND
// if there is none and ECONFLICT if c.Kind is not its kind.
func (db *DB) UpdateCredential(ctx context.Context, c *ferry.Credential) error {
	var sealed []byte
	if c.Secret != nil {
		var err error
		if sealed, err = db.seal(c.Name, c.Secret); err != nil {
			return err
		}
	} else if db.sealer == nil {
		return errNoSealer
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old, err := findCredential(ctx, tx, c.Name, db.forUpdate())
	if err != nil {
		return err
	}
	if c.Kind != old.Kind {
		return ferry.Errorf(ferry.ECONFLICT, "Credential %q is a %s credential, not %s.", c.Name, old.Kind, c.Kind)
	}
	q := `UPDATE credentials SET username = $1, public_key = $2, fingerprint = $3, algorithm = $4, updated_at = $5, app_id = $6, installation_id = $7`
	args := []any{c.Username, c.PublicKey, c.Fingerprint, c.Algorithm, tx.now, c.AppID, c.InstallationID}
	if sealed != nil {
		q += `, secret = $8, rotated_at = $5`
		args = append(args, sealed)
	}
	args = append(args, old.ID)
	if _, err := tx.exec(ctx, q+fmt.Sprintf(` WHERE id = $%d`, len(args)), args...); err != nil {
		return err
	}
	updated, err := findCredential(ctx, tx, c.Name, "")
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	secret := c.Secret
	*c = *updated
	c.Secret = secret
	return nil
}

// DeleteCredential removes credential name. Returns ENOTFOUND if it does not exist and
// ECONFLICT while credential_refs names anything that uses it.
func (db *DB) DeleteCredential(ctx context.Context, name string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c, err := findCredential(ctx, tx, name, db.forUpdate())
	if err != nil {
		return err
	}
	users, err := credentialUsers(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return ferry.Errorf(ferry.ECONFLICT, "Credential %q is in use by %s; change or delete those first.", name, strings.Join(users, ", "))
	}
	if _, err := tx.exec(ctx, `DELETE FROM credentials WHERE id = $1`, c.ID); err != nil {
		return err
	}
	return tx.Commit()
}

// credentialUsers names up to 5 of what refers to credential id, then how many more.
// It is the hook for bindings (and later providers): they record their use of a
// credential in credential_refs, and DeleteCredential refuses while any row remains.
func credentialUsers(ctx context.Context, tx *Tx, id int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT referrer FROM credential_refs WHERE credential_id = $1 ORDER BY referrer`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []string
	n := 0
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		if n++; n <= 5 {
			users = append(users, r)
		}
	}
	if n > 5 {
		users = append(users, fmt.Sprintf("%d more", n-5))
	}
	return users, rows.Err()
}

// CredentialSecret returns the opened secret of credential name. Returns ENOTFOUND if
// there is none.
func (db *DB) CredentialSecret(ctx context.Context, name string) (*ferry.CredentialSecret, error) {
	if db.sealer == nil {
		return nil, errNoSealer
	}
	var sealed []byte
	err := db.read.QueryRowContext(ctx, `SELECT secret FROM credentials WHERE name = $1`, name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Credential %q does not exist.", name)
	} else if err != nil {
		return nil, err
	}
	plain, err := db.sealer.Open(sealed, secretContext(name))
	if err != nil {
		return nil, fmt.Errorf("open the secret of credential %q: %w", name, err)
	}
	s := &ferry.CredentialSecret{}
	if err := s.UnmarshalBinary(plain); err != nil {
		return nil, fmt.Errorf("decode the secret of credential %q: %w", name, err)
	}
	return s, nil
}
