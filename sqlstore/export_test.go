package sqlstore

import "context"

// RawCredentialSecret returns the secret column of credential name as stored.
func RawCredentialSecret(db *DB, name string) ([]byte, error) {
	var b []byte
	err := db.read.QueryRowContext(context.Background(), `SELECT secret FROM credentials WHERE name = $1`, name).Scan(&b)
	return b, err
}

// AddCredentialRef records that referrer uses credential name, as a binding will.
func AddCredentialRef(db *DB, name, referrer string) error {
	_, err := db.write.ExecContext(context.Background(),
		`INSERT INTO credential_refs (credential_id, referrer) SELECT id, $2 FROM credentials WHERE name = $1`, name, referrer)
	return err
}

// RemoveCredentialRefs forgets every use of credential name.
func RemoveCredentialRefs(db *DB, name string) error {
	_, err := db.write.ExecContext(context.Background(),
		`DELETE FROM credential_refs WHERE credential_id = (SELECT id FROM credentials WHERE name = $1)`, name)
	return err
}

// SwapCredentialSecrets swaps the stored secrets of credentials a and b.
func SwapCredentialSecrets(db *DB, a, b string) error {
	sa, err := RawCredentialSecret(db, a)
	if err != nil {
		return err
	}
	sb, err := RawCredentialSecret(db, b)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := db.write.ExecContext(ctx, `UPDATE credentials SET secret = $1 WHERE name = $2`, sb, a); err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `UPDATE credentials SET secret = $1 WHERE name = $2`, sa, b)
	return err
}
