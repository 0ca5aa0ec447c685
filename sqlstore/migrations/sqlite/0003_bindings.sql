-- Git blob IDs beside the content hashes, so a pull compares trees without reading blobs.
ALTER TABLE files ADD COLUMN git_oid TEXT NOT NULL DEFAULT '';
-- The binding a pull revision came from.
ALTER TABLE revisions ADD COLUMN binding TEXT NOT NULL DEFAULT '';

CREATE TABLE bindings (
    id                   INTEGER PRIMARY KEY,
    namespace_id         INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    directory            TEXT NOT NULL,
    url                  TEXT NOT NULL,
    ref                  TEXT NOT NULL,
    path                 TEXT NOT NULL,
    credential_id        INTEGER REFERENCES credentials (id) ON DELETE RESTRICT,
    direction            TEXT NOT NULL,
    schedule             TEXT NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    state                TEXT NOT NULL DEFAULT 'idle',
    last_run             INTEGER NOT NULL DEFAULT 0,
    last_commit          TEXT NOT NULL DEFAULT '',
    last_revision        INTEGER NOT NULL DEFAULT 0,
    last_success_at      TIMESTAMP,
    last_checked_at      TIMESTAMP,
    next_run_at          TIMESTAMP,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_reason          TEXT NOT NULL DEFAULT '',
    last_message         TEXT NOT NULL DEFAULT '',
    UNIQUE (namespace_id, name)
);
CREATE INDEX bindings_due ON bindings (next_run_at);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    binding_id    INTEGER NOT NULL REFERENCES bindings (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    trigger       TEXT NOT NULL,
    actor         TEXT NOT NULL,
    force         BOOLEAN NOT NULL DEFAULT FALSE,
    state         TEXT NOT NULL,
    result        TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    queued_at     TIMESTAMP NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP,
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    attempt       INTEGER NOT NULL DEFAULT 0,
    commit_before TEXT NOT NULL DEFAULT '',
    commit_after  TEXT NOT NULL DEFAULT '',
    revision      INTEGER NOT NULL DEFAULT 0,
    added         INTEGER NOT NULL DEFAULT 0,
    modified      INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    steps         TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_binding ON runs (binding_id, id);
CREATE INDEX runs_state ON runs (binding_id, state);
CREATE INDEX runs_finished ON runs (finished_at);
