package sqlstore

import "context"

// RawWebhookSecret returns the secret column of a binding's webhook as stored.
func RawWebhookSecret(db *DB, bindingID int64) ([]byte, error) {
	var b []byte
	err := db.read.QueryRowContext(context.Background(), `SELECT secret FROM webhooks WHERE binding_id = $1`, bindingID).Scan(&b)
	return b, err
}

// SwapWebhookSecrets swaps the stored secrets of two bindings' webhooks.
func SwapWebhookSecrets(db *DB, a, b int64) error {
	sa, err := RawWebhookSecret(db, a)
	if err != nil {
		return err
	}
	sb, err := RawWebhookSecret(db, b)
	if err != nil {
		return err
	}
	if _, err := db.write.ExecContext(context.Background(), `UPDATE webhooks SET secret = $1 WHERE binding_id = $2`, sb, a); err != nil {
		return err
	}
	_, err = db.write.ExecContext(context.Background(), `UPDATE webhooks SET secret = $1 WHERE binding_id = $2`, sa, b)
	return err
}
