package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/ferrygit/ferry"
)

var _ ferry.UserService = (*DB)(nil)

// userRow is a user as stored: with its password hash, which never leaves the package
// except through UserPassword.
type userRow struct {
	*ferry.User
	passwordHash string
}

// queryUsers reads the users that where selects (a condition on u, with its args) and their
// roles in one statement, so a user and its roles are read at one moment. Users come by name.
func queryUsers(ctx context.Context, q queryer, where string, args ...any) ([]userRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.name, u.admin, u.created_at, u.password_hash, r.namespace, r.role
		FROM users u LEFT JOIN user_roles r ON r.user_id = u.id`+where+` ORDER BY u.name, r.namespace`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []userRow
	for rows.Next() {
		u := userRow{User: &ferry.User{}}
		var ns, role sql.NullString
		if err := rows.Scan(&u.ID, &u.Name, &u.Admin, &u.CreatedAt, &u.passwordHash, &ns, &role); err != nil {
			return nil, err
		}
		if n := len(users); n > 0 && users[n-1].ID == u.ID {
			u = users[n-1]
		} else {
			u.CreatedAt, u.Roles = u.CreatedAt.UTC(), map[string]string{}
			users = append(users, u)
		}
		if ns.Valid {
			u.Roles[ns.String] = role.String
		}
	}
	return users, rows.Err()
}

// findUser returns the user that where selects; missing names the user in ENOTFOUND.
func findUser(ctx context.Context, q queryer, missing, where string, arg any) (userRow, error) {
	users, err := queryUsers(ctx, q, where, arg)
	if err != nil {
		return userRow{}, err
	}
	if len(users) == 0 {
		return userRow{}, notFound("User %s does not exist.", missing)
	}
	return users[0], nil
}

// validateRole checks a role given in namespace ns.
func validateRole(ns, role string) error {
	if err := ferry.ValidateNamespaceName(ns); err != nil {
		return err
	}
	return ferry.ValidateRole(role)
}

// CreateUser stores u, with its roles, and passwordHash, and sets u.ID and u.CreatedAt.
// Returns ECONFLICT if the name is taken.
func (db *DB) CreateUser(ctx context.Context, u *ferry.User, passwordHash string) error {
	if err := ferry.ValidateUserName(u.Name); err != nil {
		return err
	}
	for ns, role := range u.Roles {
		if err := validateRole(ns, role); err != nil {
			return err
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO users (name, admin, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		u.Name, u.Admin, passwordHash, tx.now).Scan(&id)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "User %q exists.", u.Name)
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	for ns, role := range u.Roles {
		if _, err := tx.exec(ctx, `INSERT INTO user_roles (user_id, namespace, role) VALUES ($1, $2, $3)`, id, ns, role); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	u.ID, u.CreatedAt = id, tx.now
	if u.Roles == nil {
		u.Roles = map[string]string{}
	}
	return nil
}

// FindUser returns user name with its roles. Returns ENOTFOUND if there is none.
func (db *DB) FindUser(ctx context.Context, name string) (*ferry.User, error) {
	u, err := findUser(ctx, db.read, strconv.Quote(name), ` WHERE u.name = $1`, name)
	return u.User, err
}

// FindUserByID returns user id with its roles. Returns ENOTFOUND if there is none.
func (db *DB) FindUserByID(ctx context.Context, id int64) (*ferry.User, error) {
	u, err := findUser(ctx, db.read, strconv.FormatInt(id, 10), ` WHERE u.id = $1`, id)
	return u.User, err
}

// UserPassword returns user name and its password hash. Returns ENOTFOUND if there is none.
func (db *DB) UserPassword(ctx context.Context, name string) (*ferry.User, string, error) {
	u, err := findUser(ctx, db.read, strconv.Quote(name), ` WHERE u.name = $1`, name)
	return u.User, u.passwordHash, err
}

// ListUsers returns every user, with its roles, by name.
func (db *DB) ListUsers(ctx context.Context) ([]*ferry.User, error) {
	rows, err := queryUsers(ctx, db.read, "")
	if err != nil {
		return nil, err
	}
	users := make([]*ferry.User, len(rows))
	for i, u := range rows {
		users[i] = u.User
	}
	return users, nil
}

// CountUsers returns how many users there are.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// SetUserPassword replaces user name's password hash and ends its sessions. Returns
// ENOTFOUND if there is none.
func (db *DB) SetUserPassword(ctx context.Context, name, passwordHash string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id, err := tx.userID(ctx, name)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
		return err
	}
	return tx.Commit()
}

// SetUserRole gives user name role in namespace ns; role "" takes its role there away.
// Returns ENOTFOUND if there is no such user and EINVALID for an unknown role.
func (db *DB) SetUserRole(ctx context.Context, name, ns, role string) error {
	if role != "" {
		if err := validateRole(ns, role); err != nil {
			return err
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id, err := tx.userID(ctx, name)
	if err != nil {
		return err
	}
	if role == "" {
		_, err = tx.exec(ctx, `DELETE FROM user_roles WHERE user_id = $1 AND namespace = $2`, id, ns)
	} else {
		_, err = tx.exec(ctx, `INSERT INTO user_roles (user_id, namespace, role) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, namespace) DO UPDATE SET role = excluded.role`, id, ns, role)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// userID returns the ID of user name, locking its row until tx ends.
func (tx *Tx) userID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE name = $1`+tx.db.forUpdate(), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("User %q does not exist.", name)
	}
	return id, err
}

// DeleteUser removes user name with its roles and sessions. Returns ENOTFOUND if there is none.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `DELETE FROM users WHERE name = $1`, name)
	if err != nil {
		return err
	} else if n == 0 {
		return notFound("User %q does not exist.", name)
	}
	// The tokens the user made go with them: nobody is left to answer for them.
	if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL`, tx.now, ferry.PrincipalUser+":"+name); err != nil {
		return err
	}
	return tx.Commit()
}

// CreateSession stores s under hash and sets s.ID and s.CreatedAt. Returns ENOTFOUND if
// its user does not exist.
func (db *DB) CreateSession(ctx context.Context, s *ferry.Session, hash [32]byte) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO sessions (user_id, hash, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		s.UserID, hash[:], tx.now, s.ExpiresAt.UTC()).Scan(&s.ID)
	switch {
	case isForeignKeyViolation(err):
		return notFound("User %d does not exist.", s.UserID)
	case isUniqueViolation(err):
		return ferry.Errorf(ferry.ECONFLICT, "A session with the same hash exists already; log in again.")
	case err != nil:
		return err
	}
	tx.db.rowsWritten.Add(1)
	// Sessions that ended a day ago or more go with each login, so the table stays small.
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, tx.now.Add(-24*time.Hour)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.CreatedAt, s.ExpiresAt = tx.now, s.ExpiresAt.UTC()
	return nil
}

// FindSession returns the session whose hash is hash, expired ones included. Returns
// ENOTFOUND if there is none.
func (db *DB) FindSession(ctx context.Context, hash [32]byte) (*ferry.Session, error) {
	s := &ferry.Session{}
	err := db.read.QueryRowContext(ctx, `SELECT id, user_id, created_at, expires_at FROM sessions WHERE hash = $1`, hash[:]).
		Scan(&s.ID, &s.UserID, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("The session has ended; log in again.")
	} else if err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

// DeleteSession removes the session whose hash is hash; none is no error.
func (db *DB) DeleteSession(ctx context.Context, hash [32]byte) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash[:]); err != nil {
		return err
	}
	return tx.Commit()
}
