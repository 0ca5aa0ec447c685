-- Namespaces of versioned files. A file row holds one content of one path, live from
-- revision from_rev up to (not including) to_rev; the live row has to_rev = 9223372036854775807.
-- A change closes the old row and opens a new one, so a revision costs O(changed files).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE namespaces (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    head       BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE blobs (
    id      TEXT PRIMARY KEY, -- SHA-256 of content, hex
    size    BIGINT NOT NULL,
    content BYTEA NOT NULL
);

CREATE TABLE revisions (
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    number       BIGINT NOT NULL,
    parent       BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    message      TEXT NOT NULL,
    source       TEXT NOT NULL,
    commit_id    TEXT NOT NULL DEFAULT '',
    added        BIGINT NOT NULL,
    modified     BIGINT NOT NULL,
    deleted      BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, number)
);

CREATE TABLE files (
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    path         TEXT COLLATE "C" NOT NULL,
    from_rev     BIGINT NOT NULL,
    to_rev       BIGINT NOT NULL,
    blob_id      TEXT NOT NULL REFERENCES blobs (id),
    size         BIGINT NOT NULL,
    mode         TEXT NOT NULL,
    PRIMARY KEY (namespace_id, path, from_rev)
);
CREATE INDEX files_live ON files (namespace_id, to_rev, path);
CREATE INDEX files_written ON files (namespace_id, from_rev, path);
CREATE INDEX files_blob ON files (blob_id);
