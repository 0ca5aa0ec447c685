-- The commit whose entity files the catalog holds for a binding ('' for none yet): a pull
-- whose catalog step did not finish, or a change of glob, makes the next pull read them all.
ALTER TABLE bindings ADD COLUMN entity_commit TEXT NOT NULL DEFAULT '';
-- A binding's entities by file, for the catalog step of an incremental pull.
CREATE INDEX entities_binding_path ON entities (namespace_id, binding, path);
