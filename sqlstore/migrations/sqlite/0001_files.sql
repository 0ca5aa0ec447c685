-- Namespaces of versioned files. A file row holds one content of one path, live from
-- revision from_rev up to (not including) to_rev; the live row has to_rev = 9223372036854775807.
-- A change closes the old row and opens a new one, so a revision costs O(changed files).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE namespaces (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    head       INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE blobs (
    id      TEXT PRIMARY KEY, -- SHA-256 of content, hex
    size    INTEGER NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE revisions (
    namespace_id INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    parent       INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    actor        TEXT NOT NULL,
    message      TEXT NOT NULL,
    source       TEXT NOT NULL,
    commit_id    TEXT NOT NULL DEFAULT '',
    added        INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    PRIMARY KEY (namespace_id, number)
);

CREATE TABLE files (
    namespace_id INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    from_rev     INTEGER NOT NULL,
    to_rev       INTEGER NOT NULL,
    blob_id      TEXT NOT NULL REFERENCES blobs (id),
    size         INTEGER NOT NULL,
    mode         TEXT NOT NULL,
    PRIMARY KEY (namespace_id, path, from_rev)
);
CREATE INDEX files_live ON files (namespace_id, to_rev, path);
CREATE INDEX files_written ON files (namespace_id, from_rev, path);
CREATE INDEX files_blob ON files (blob_id);
