-- The catalog: blueprints (kinds of entity, with a JSON Schema and relations) and their
-- entities. JSON columns hold compact JSON text. An entity's digest hashes its blueprint,
-- title, properties and relations, so that a write of unchanged data is skipped.
CREATE TABLE blueprints (
    id           BIGSERIAL PRIMARY KEY,
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    identifier   TEXT COLLATE "C" NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    schema       TEXT NOT NULL,
    relations    TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (namespace_id, identifier)
);

-- Entities. source and the columns after it are the provenance of the current data;
-- violations is NULL unless invalid.
CREATE TABLE entities (
    id           BIGSERIAL PRIMARY KEY,
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    blueprint_id BIGINT NOT NULL REFERENCES blueprints (id) ON DELETE CASCADE,
    identifier   TEXT COLLATE "C" NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    properties   TEXT NOT NULL,
    relations    TEXT NOT NULL,
    invalid      BOOLEAN NOT NULL DEFAULT FALSE,
    violations   TEXT,
    digest       TEXT NOT NULL,
    source       TEXT NOT NULL,
    actor        TEXT NOT NULL DEFAULT '',
    binding      TEXT NOT NULL DEFAULT '',
    repository   TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    commit_id    TEXT NOT NULL DEFAULT '',
    source_at    TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (blueprint_id, identifier)
);
CREATE INDEX entities_binding ON entities (namespace_id, binding);

-- The history of entities, kept by identifier so that it outlives them. entity is a JSON
-- snapshot of the entity as written, NULL for a deletion.
CREATE TABLE entity_changes (
    id           BIGSERIAL PRIMARY KEY,
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    blueprint    TEXT COLLATE "C" NOT NULL,
    identifier   TEXT COLLATE "C" NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT,
    source       TEXT NOT NULL,
    actor        TEXT NOT NULL DEFAULT '',
    binding      TEXT NOT NULL DEFAULT '',
    repository   TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    commit_id    TEXT NOT NULL DEFAULT '',
    source_at    TIMESTAMPTZ NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX entity_changes_entity ON entity_changes (namespace_id, blueprint, identifier, id);
