-- Credentials: the public half in columns, the secret half sealed (AES-256-GCM, with the
-- credential's name as additional data) in secret. The database never holds a plaintext secret.
CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    username    TEXT NOT NULL DEFAULT '',
    public_key  TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    algorithm   TEXT NOT NULL DEFAULT '',
    generated   BOOLEAN NOT NULL DEFAULT FALSE,
    secret      BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    rotated_at  TIMESTAMP
);

-- What uses a credential, one row per user (such as "binding dev:/config"). A credential
-- with rows here cannot be deleted. Bindings add and remove their rows in the transactions
-- that save and delete them.
CREATE TABLE credential_refs (
    credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE RESTRICT,
    referrer      TEXT NOT NULL,
    PRIMARY KEY (credential_id, referrer)
);

-- Pinned SSH host keys added by users; the built-in ones live in the code.
CREATE TABLE known_hosts (
    host        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    key_type    TEXT NOT NULL,
    key         TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (host, fingerprint)
);
