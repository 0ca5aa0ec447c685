-- Git blob IDs beside the content hashes, so a pull compares trees without reading blobs.
ALTER TABLE files ADD COLUMN git_oid TEXT NOT NULL DEFAULT '';
-- The binding a pull revision came from.
ALTER TABLE revisions ADD COLUMN binding TEXT NOT NULL DEFAULT '';

CREATE TABLE bindings (
    id                   BIGSERIAL PRIMARY KEY,
    namespace_id         BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    directory            TEXT NOT NULL,
    url                  TEXT NOT NULL,
    ref                  TEXT NOT NULL,
    path                 TEXT NOT NULL,
    credential_id        BIGINT REFERENCES credentials (id) ON DELETE RESTRICT,
    direction            TEXT NOT NULL,
    schedule             TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    state                TEXT NOT NULL DEFAULT 'idle',
    last_run             BIGINT NOT NULL DEFAULT 0,
    last_commit          TEXT NOT NULL DEFAULT '',
    last_revision        BIGINT NOT NULL DEFAULT 0,
    last_success_at      TIMESTAMPTZ,
    last_checked_at      TIMESTAMPTZ,
    next_run_at          TIMESTAMPTZ,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    last_reason          TEXT NOT NULL DEFAULT '',
    last_message         TEXT NOT NULL DEFAULT '',
    UNIQUE (namespace_id, name)
);
CREATE INDEX bindings_due ON bindings (next_run_at);

CREATE TABLE runs (
    id            BIGSERIAL PRIMARY KEY,
    binding_id    BIGINT NOT NULL REFERENCES bindings (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    trigger       TEXT NOT NULL,
    actor         TEXT NOT NULL,
    force         BOOLEAN NOT NULL DEFAULT FALSE,
    state         TEXT NOT NULL,
    result        TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    queued_at     TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    duration_ms   BIGINT NOT NULL DEFAULT 0,
    attempt       BIGINT NOT NULL DEFAULT 0,
    commit_before TEXT NOT NULL DEFAULT '',
    commit_after  TEXT NOT NULL DEFAULT '',
    revision      BIGINT NOT NULL DEFAULT 0,
    added         BIGINT NOT NULL DEFAULT 0,
    modified      BIGINT NOT NULL DEFAULT 0,
    deleted       BIGINT NOT NULL DEFAULT 0,
    steps         TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_binding ON runs (binding_id, id);
CREATE INDEX runs_state ON runs (binding_id, state);
CREATE INDEX runs_finished ON runs (finished_at);
