-- Webhooks: one per binding, its secret sealed (with the binding's ID as additional data).
CREATE TABLE webhooks (
    binding_id INTEGER PRIMARY KEY REFERENCES bindings (id) ON DELETE CASCADE,
    mode       TEXT NOT NULL,
    secret     BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP
);

-- Every webhook request received for a binding. claim holds the provider's delivery ID while
-- the delivery counts for idempotency (it passed verification); it is NULL for rejected,
-- invalid, duplicate and failed deliveries, so that they never block the real one.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    binding_id  INTEGER NOT NULL REFERENCES bindings (id) ON DELETE CASCADE,
    received_at TIMESTAMP NOT NULL,
    provider    TEXT NOT NULL DEFAULT '',
    event       TEXT NOT NULL DEFAULT '',
    delivery_id TEXT NOT NULL DEFAULT '',
    claim       TEXT,
    ref         TEXT NOT NULL DEFAULT '',
    commit_id   TEXT NOT NULL DEFAULT '',
    verdict     TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    run_id      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX webhook_deliveries_claim ON webhook_deliveries (binding_id, claim);
CREATE INDEX webhook_deliveries_binding ON webhook_deliveries (binding_id, id);
