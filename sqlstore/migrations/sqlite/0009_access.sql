-- API tokens, stored as the SHA-256 of the token. permissions is a JSON array in
-- the order given; namespace is '' for all namespaces; expires_at is NULL for none.
-- AUTOINCREMENT keeps IDs from being reused, so "token:12" in the audit log names one token.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    description  TEXT NOT NULL,
    permissions  TEXT NOT NULL,
    namespace    TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP,
    hash         BLOB NOT NULL UNIQUE
);

-- Users who log in to the UI, with a password hash (never a password).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    admin         BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

-- A user's role in a namespace. No foreign key to namespaces: a role outlives its namespace
-- and applies again if one of that name is created.
CREATE TABLE user_roles (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (user_id, namespace)
);

-- Logged-in sessions, stored as the SHA-256 of the cookie.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       BLOB NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The audit log: one row per state-changing request, listed newest (highest id) first.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time        TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    namespace   TEXT NOT NULL DEFAULT '',
    status      INTEGER NOT NULL,
    result      TEXT NOT NULL,
    remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_time ON audit_log (time, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_namespace ON audit_log (namespace, id);
