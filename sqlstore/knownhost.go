package sqlstore

import (
	"context"
	"sort"

	"github.com/ferrygit/ferry"
)

// ListKnownHosts returns the built-in keys and the stored ones, ordered by host then
// fingerprint, of host only when host is not "".
func (db *DB) ListKnownHosts(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
	q, args := `SELECT host, fingerprint, key_type, key, source, created_at FROM known_hosts`, []any{}
	if host != "" {
		var err error
		if host, err = ferry.NormalizeSSHHost(host); err != nil {
			return nil, err
		}
		q, args = q+` WHERE host = $1`, append(args, host)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []*ferry.KnownHost{}
	for _, k := range ferry.BuiltinKnownHosts() {
		if host == "" || k.Host == host {
			items = append(items, k)
		}
	}
	for rows.Next() {
		k := &ferry.KnownHost{}
		if err := rows.Scan(&k.Host, &k.Fingerprint, &k.KeyType, &k.Key, &k.Source, &k.CreatedAt); err != nil {
			return nil, err
		}
		k.CreatedAt = k.CreatedAt.UTC()
		items = append(items, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Host != items[j].Host {
			return items[i].Host < items[j].Host
		}
		return items[i].Fingerprint < items[j].Fingerprint
	})
	return items, nil
}

// AddKnownHost validates and stores a key. Returns EINVALID for a bad host or key and
// ECONFLICT if the host has that key already, built in or stored.
func (db *DB) AddKnownHost(ctx context.Context, k *ferry.KnownHost) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if k.Source != ferry.KnownHostAdded && k.Source != ferry.KnownHostTrusted {
		return ferry.Errorf(ferry.EINVALID, "A stored host key's source must be %s or %s.", ferry.KnownHostAdded, ferry.KnownHostTrusted)
	}
	for _, b := range ferry.BuiltinKnownHosts() {
		if b.Host == k.Host && b.Fingerprint == k.Fingerprint {
			return ferry.Errorf(ferry.ECONFLICT, "%s's %s key %s is built in already.", k.Host, k.KeyType, k.Fingerprint)
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.exec(ctx, `INSERT INTO known_hosts (host, fingerprint, key_type, key, source, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.Host, k.Fingerprint, k.KeyType, k.Key, k.Source, tx.now)
	if isUniqueViolation(err) {
		return ferry.Errorf(ferry.ECONFLICT, "%s's %s key %s is pinned already.", k.Host, k.KeyType, k.Fingerprint)
	} else if err != nil {
		return err
	}
	k.CreatedAt = tx.now
	return tx.Commit()
}

// DeleteKnownHost removes the stored keys of host, or the one with fingerprint. Returns
// ENOTFOUND if there is none and ECONFLICT when the only match is built in.
func (db *DB) DeleteKnownHost(ctx context.Context, host, fingerprint string) error {
	host, err := ferry.NormalizeSSHHost(host)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	q, args := `DELETE FROM known_hosts WHERE host = $1`, []any{host}
	if fingerprint != "" {
		q, args = q+` AND fingerprint = $2`, append(args, fingerprint)
	}
	n, err := tx.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		for _, b := range ferry.BuiltinKnownHosts() {
			if b.Host == host && (fingerprint == "" || b.Fingerprint == fingerprint) {
				return ferry.Errorf(ferry.ECONFLICT, "The keys of %s are built into Ferry and cannot be deleted; they are the ones the provider publishes.", host)
			}
		}
		if fingerprint != "" {
			return notFound("No key with fingerprint %s is pinned for %s.", fingerprint, host)
		}
		return notFound("No keys are pinned for %s.", host)
	}
	return tx.Commit()
}
