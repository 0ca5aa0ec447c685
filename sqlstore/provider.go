package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrygit/ferry"
)

const providerColumns = `p.id, p.name, p.kind, p.base_url, p.owner, p.project_key, c.name, p.valid, p.checked_at, p.login,
	p.missing, p.message, p.created_at, p.updated_at`

const providerFrom = ` FROM providers p JOIN credentials c ON c.id = p.credential_id`

// providerReferrer names a provider in credential_refs, as DeleteCredential shows it.
func providerReferrer(name string) string { return "provider " + name }

func scanProvider(row scanner) (*ferry.Provider, error) {
	p := &ferry.Provider{}
	var checked sql.NullTime
	var missing string
	err := row.Scan(&p.ID, &p.Name, &p.Kind, &p.BaseURL, &p.Owner, &p.ProjectKey, &p.Credential, &p.Status.Valid, &checked,
		&p.Status.Login, &missing, &p.Status.Message, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.Status.CheckedAt = timePtr(checked)
	if err := json.Unmarshal([]byte(missing), &p.Status.Missing); err != nil {
		return nil, err
	}
	return p, nil
}

// CreateProvider stores a provider; see ferry.ProviderService.
func (db *DB) CreateProvider(ctx context.Context, p *ferry.Provider) error {
	if err := p.Validate(); err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var credID int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM credentials WHERE name = $1`, p.Credential).Scan(&credID)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Credential %q does not exist; create it first (ferry cred create).", p.Credential)
	} else if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO providers (name, kind, base_url, owner, project_key, credential_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		p.Name, p.Kind, p.BaseURL, p.Owner, p.ProjectKey, credID, tx.now).Scan(&p.ID)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "Provider %q exists already.", p.Name)
	} else if err != nil {
		return err
	}
	tx.db.rowsWritten.Add(1)
	if err := tx.addCredentialRef(ctx, credID, providerReferrer(p.Name)); err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt, p.Status = tx.now, tx.now, ferry.ProviderStatus{}
	return tx.Commit()
}

// FindProvider returns provider name. Returns ENOTFOUND if there is none.
func (db *DB) FindProvider(ctx context.Context, name string) (*ferry.Provider, error) {
	return findProvider(ctx, db.read, name)
}

func findProvider(ctx context.Context, q queryer, name string) (*ferry.Provider, error) {
	p, err := scanProvider(q.QueryRowContext(ctx, `SELECT `+providerColumns+providerFrom+` WHERE p.name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Provider %q does not exist.", name)
	}
	return p, err
}

// ListProviders returns providers ordered by name, one page at a time.
func (db *DB) ListProviders(ctx context.Context, page ferry.Page) ([]*ferry.Provider, string, error) {
	page = page.Normalize()
	after, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+providerColumns+providerFrom+` WHERE p.name > $1 ORDER BY p.name LIMIT $2`,
		after, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Provider{}
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, p)
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

// DeleteProvider removes a provider, its repository cache and its use of its credential.
// It refuses with ECONFLICT, changing nothing, while bindings were made through the provider.
func (db *DB) DeleteProvider(ctx context.Context, name string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM providers WHERE name = $1`+db.forUpdate(), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Provider %q does not exist.", name)
	} else if err != nil {
		return err
	}
	users, err := providerUsers(ctx, tx, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return ferry.Errorf(ferry.ECONFLICT, "Provider %q is used by bindings %s; delete those or move them off the provider first.", name, strings.Join(users, ", "))
	}
	if _, err := tx.exec(ctx, `DELETE FROM providers WHERE id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM credential_refs WHERE referrer = $1`, providerReferrer(name)); err != nil {
		return err
	}
	return tx.Commit()
}

// maxProviderUsers is how many bindings DeleteProvider's refusal names.
const maxProviderUsers = 10

// providerUsers names, as namespace/name, up to maxProviderUsers bindings made through
// provider name, then how many more.
func providerUsers(ctx context.Context, tx *Tx, name string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT n.name, b.name FROM bindings b JOIN namespaces n ON n.id = b.namespace_id
		WHERE b.provider = $1 ORDER BY n.name, b.name`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []string
	n := 0
	for rows.Next() {
		var ns, b string
		if err := rows.Scan(&ns, &b); err != nil {
			return nil, err
		}
		if n++; n <= maxProviderUsers {
			users = append(users, ns+"/"+b)
		}
	}
	if n > maxProviderUsers {
		users = append(users, fmt.Sprintf("and %d more", n-maxProviderUsers))
	}
	return users, rows.Err()
}

// SetProviderStatus records what a validation found.
func (db *DB) SetProviderStatus(ctx context.Context, name string, s ferry.ProviderStatus) error {
	missing := s.Missing
	if missing == nil {
		missing = []string{}
	}
	b, err := json.Marshal(missing)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `UPDATE providers SET valid = $1, checked_at = $2, login = $3, missing = $4, message = $5, updated_at = $6
		WHERE name = $7`, s.Valid, nullTime(s.CheckedAt), s.Login, string(b), s.Message, tx.now, name)
	if err != nil {
		return err
	} else if n == 0 {
		return notFound("Provider %q does not exist.", name)
	}
	return tx.Commit()
}

// FindRepositoryList returns the cached repository list of provider name.
func (db *DB) FindRepositoryList(ctx context.Context, name string) (*ferry.RepositoryList, error) {
	var fetched sql.NullTime
	var pages sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT r.fetched_at, r.pages FROM providers p
		LEFT JOIN provider_repositories r ON r.provider_id = p.id WHERE p.name = $1`, name).Scan(&fetched, &pages)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Provider %q does not exist.", name)
	} else if err != nil {
		return nil, err
	}
	l := &ferry.RepositoryList{Provider: name, FetchedAt: timePtr(fetched), Repositories: []ferry.Repository{}}
	if pages.Valid {
		if err := json.Unmarshal([]byte(pages.String), &l.Pages); err != nil {
			return nil, err
		}
	}
	for _, p := range l.Pages {
		l.Repositories = append(l.Repositories, p.Repositories...)
	}
	return l, nil
}

// SaveRepositoryList replaces the cached repository list of provider name with l's pages,
// fetched at l.FetchedAt (now when nil).
func (db *DB) SaveRepositoryList(ctx context.Context, name string, l *ferry.RepositoryList) error {
	pages := l.Pages
	if pages == nil {
		pages = []ferry.RepositoryPage{}
	}
	b, err := json.Marshal(pages)
	if err != nil {
		return err
	}
	etag := ""
	if len(pages) > 0 {
		etag = pages[0].ETag
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM providers WHERE name = $1`+db.forUpdate(), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Provider %q does not exist.", name)
	} else if err != nil {
		return err
	}
	fetched := tx.now
	if l.FetchedAt != nil {
		fetched = l.FetchedAt.UTC()
	}
	if _, err := tx.exec(ctx, `INSERT INTO provider_repositories (provider_id, fetched_at, etag, pages) VALUES ($1, $2, $3, $4)
		ON CONFLICT (provider_id) DO UPDATE SET fetched_at = excluded.fetched_at, etag = excluded.etag, pages = excluded.pages`,
		id, fetched, etag, string(b)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	l.FetchedAt = &fetched
	return nil
}
