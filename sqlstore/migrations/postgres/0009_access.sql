-- API tokens, stored as the SHA-256 of the token. permissions is a JSON array in
-- the order given; namespace is '' for all namespaces; expires_at is NULL for none.
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    description  TEXT NOT NULL,
    permissions  TEXT NOT NULL,
    namespace    TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    hash         BYTEA NOT NULL UNIQUE
);

-- Users who log in to the UI, with a password hash (never a password).
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL UNIQUE,
    admin         BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- A user's role in a namespace. No foreign key to namespaces: a role outlives its namespace
-- and applies again if one of that name is created.
CREATE TABLE user_roles (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    namespace TEXT COLLATE "C" NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (user_id, namespace)
);

-- Logged-in sessions, stored as the SHA-256 of the cookie.
CREATE TABLE sessions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The audit log: one row per state-changing request, listed newest (highest id) first.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    time        TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    namespace   TEXT COLLATE "C" NOT NULL DEFAULT '',
    status      INTEGER NOT NULL,
    result      TEXT NOT NULL,
    remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_time ON audit_log (time, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_namespace ON audit_log (namespace, id);
