-- The glob of a binding's files that hold catalog entities ('' when it reads none).
ALTER TABLE bindings ADD COLUMN entity_glob TEXT NOT NULL DEFAULT '';
