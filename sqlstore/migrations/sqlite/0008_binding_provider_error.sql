-- The last failure creating or removing a binding's webhook or deploy key at its provider
-- ('' when the last attempt succeeded), so that the binding shows it.
ALTER TABLE bindings ADD COLUMN provider_error TEXT NOT NULL DEFAULT '';
