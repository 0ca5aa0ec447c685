package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ferrygit/ferry"
)

var _ ferry.WebhookService = (*DB)(nil)

// MaxDeliveries is how many deliveries a binding keeps; older ones are pruned.
const MaxDeliveries = 1000

// webhookContext is the additional data a webhook's secret is sealed with: a sealed secret
// opens only for the binding it was sealed for.
func webhookContext(bindingID int64) []byte {
	return []byte("webhook/" + strconv.FormatInt(bindingID, 10))
}

// PutWebhook gives a binding a webhook with secret sealed, replacing the one it had.
func (db *DB) PutWebhook(ctx context.Context, w *ferry.Webhook, secret string) error {
	if db.sealer == nil {
		return errNoWebhookSealer
	}
	if err := ferry.ValidateWebhookMode(w.Mode); err != nil {
		return err
	}
	sealed, err := db.sealer.Seal([]byte(secret), webhookContext(w.BindingID))
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findBindingByID(ctx, tx, w.BindingID); err != nil {
		return err
	}
	n, err := tx.exec(ctx, `UPDATE webhooks SET mode = $1, secret = $2, rotated_at = $3 WHERE binding_id = $4`, w.Mode, sealed, tx.now, w.BindingID)
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := tx.exec(ctx, `INSERT INTO webhooks (binding_id, mode, secret, created_at) VALUES ($1, $2, $3, $4)`,
			w.BindingID, w.Mode, sealed, tx.now); err != nil {
			return err
		}
	}
	stored, err := findWebhook(ctx, tx, w.BindingID)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*w = *stored
	return nil
}

// errNoWebhookSealer is returned by the webhook methods of a DB opened without a Sealer.
var errNoWebhookSealer = ferry.Errorf(ferry.EUNAVAILABLE, "Webhooks are unavailable: the server has no secret key.")

// FindWebhook returns a binding's webhook.
func (db *DB) FindWebhook(ctx context.Context, bindingID int64) (*ferry.Webhook, error) {
	return findWebhook(ctx, db.read, bindingID)
}

func findWebhook(ctx context.Context, q queryer, bindingID int64) (*ferry.Webhook, error) {
	w := &ferry.Webhook{BindingID: bindingID}
	var rotated sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT mode, created_at, rotated_at FROM webhooks WHERE binding_id = $1`, bindingID).
		Scan(&w.Mode, &w.CreatedAt, &rotated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Binding %d has no webhook.", bindingID)
	} else if err != nil {
		return nil, err
	}
	w.CreatedAt = w.CreatedAt.UTC()
	if rotated.Valid {
		w.RotatedAt = rotated.Time.UTC()
	}
	return w, nil
}

// DeleteWebhook removes a binding's webhook.
func (db *DB) DeleteWebhook(ctx context.Context, bindingID int64) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := tx.exec(ctx, `DELETE FROM webhooks WHERE binding_id = $1`, bindingID)
	if err != nil {
		return err
	} else if n == 0 {
		return notFound("Binding %d has no webhook.", bindingID)
	}
	return tx.Commit()
}

// WebhookTarget returns the binding a webhook delivers to and its opened secret, in one
// query: the receiver's hot path.
func (db *DB) WebhookTarget(ctx context.Context, bindingID int64) (*ferry.Binding, string, error) {
	if db.sealer == nil {
		return nil, "", errNoWebhookSealer
	}
	b := &ferry.Binding{ID: bindingID}
	var sealed []byte
	err := db.read.QueryRowContext(ctx, `SELECT n.name, b.name, b.ref, b.direction, w.secret FROM webhooks w
		JOIN bindings b ON b.id = w.binding_id JOIN namespaces n ON n.id = b.namespace_id WHERE w.binding_id = $1`, bindingID).
		Scan(&b.Namespace, &b.Name, &b.Ref, &b.Direction, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFound("Binding %d has no webhook.", bindingID)
	} else if err != nil {
		return nil, "", err
	}
	plain, err := db.sealer.Open(sealed, webhookContext(bindingID))
	if err != nil {
		return nil, "", fmt.Errorf("open the webhook secret of binding %d: %w", bindingID, err)
	}
	return b, string(plain), nil
}

// RecordDelivery stores a delivery, claiming its delivery ID when claim is set, and every
// so often prunes the binding's deliveries to the newest MaxDeliveries.
func (db *DB) RecordDelivery(ctx context.Context, d *ferry.Delivery, claim bool) error {
	var key any
	if claim && d.DeliveryID != "" {
		key = d.DeliveryID
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (binding_id, received_at, provider, event, delivery_id, claim, ref, commit_id,
		verdict, message, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		d.BindingID, tx.now, d.Provider, d.Event, d.DeliveryID, key, d.Ref, d.Commit, d.Verdict, d.Message, d.Run).Scan(&d.ID)
	switch {
	case isUniqueViolation(err):
		return ferry.Errorf(ferry.ECONFLICT, "Delivery %q was received already.", d.DeliveryID)
	case isForeignKeyViolation(err):
		return notFound("Binding %d does not exist.", d.BindingID)
	case err != nil:
		return err
	}
	tx.db.rowsWritten.Add(1)
	d.ReceivedAt = tx.now
	if d.ID%64 == 0 {
		if _, err := tx.exec(ctx, `DELETE FROM webhook_deliveries WHERE binding_id = $1 AND id < (SELECT MIN(id) FROM
			(SELECT id FROM webhook_deliveries WHERE binding_id = $1 ORDER BY id DESC LIMIT `+strconv.Itoa(MaxDeliveries)+`) newest)`,
			d.BindingID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// UpdateDelivery stores a delivery's verdict, message and run, dropping its claim when
// release is set.
func (db *DB) UpdateDelivery(ctx context.Context, d *ferry.Delivery, release bool) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	q := `UPDATE webhook_deliveries SET verdict = $1, message = $2, run_id = $3`
	if release {
		q += `, claim = NULL`
	}
	n, err := tx.exec(ctx, q+` WHERE id = $4`, d.Verdict, d.Message, d.Run, d.ID)
	if err != nil {
		return err
	} else if n == 0 {
		return notFound("Delivery %d does not exist.", d.ID)
	}
	return tx.Commit()
}

// ListDeliveries returns one page of a binding's deliveries, newest first.
func (db *DB) ListDeliveries(ctx context.Context, ns, binding string, page ferry.Page) ([]*ferry.Delivery, string, error) {
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
		before = live
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, binding_id, received_at, provider, event, delivery_id, ref, commit_id, verdict, message, run_id
		FROM webhook_deliveries WHERE binding_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, b.ID, before, page.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []*ferry.Delivery{}
	for rows.Next() {
		d := &ferry.Delivery{}
		if err := rows.Scan(&d.ID, &d.BindingID, &d.ReceivedAt, &d.Provider, &d.Event, &d.DeliveryID, &d.Ref, &d.Commit,
			&d.Verdict, &d.Message, &d.Run); err != nil {
			return nil, "", err
		}
		d.ReceivedAt = d.ReceivedAt.UTC()
		items = append(items, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		next = encodeCursor(strconv.FormatInt(items[len(items)-1].ID, 10))
	}
	return items, next, nil
}

// isForeignKeyViolation reports whether err is a foreign-key constraint failure.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
