-- GitHub App credentials: the App's id and the installation's id are public; the private
-- key is sealed in secret like every other credential's.
ALTER TABLE credentials ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN installation_id TEXT NOT NULL DEFAULT '';

-- Provider connections. A provider records its use of a credential in credential_refs,
-- so the credential cannot be deleted under it.
CREATE TABLE providers (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    base_url      TEXT NOT NULL,
    owner         TEXT NOT NULL,
    project_key   TEXT NOT NULL DEFAULT '',
    credential_id BIGINT NOT NULL REFERENCES credentials (id) ON DELETE RESTRICT,
    valid         BOOLEAN NOT NULL DEFAULT FALSE,
    checked_at    TIMESTAMPTZ,
    login         TEXT NOT NULL DEFAULT '',
    missing       TEXT NOT NULL DEFAULT '[]',
    message       TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- The cached repository list of a provider: the pages as fetched (JSON, each with its
-- ETag for conditional requests), replaced whole on every refresh.
CREATE TABLE provider_repositories (
    provider_id BIGINT PRIMARY KEY REFERENCES providers (id) ON DELETE CASCADE,
    fetched_at  TIMESTAMPTZ NOT NULL,
    etag        TEXT NOT NULL DEFAULT '',
    pages       TEXT NOT NULL
);
