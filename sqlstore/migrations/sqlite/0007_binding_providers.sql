-- Bindings made through a provider connection: the provider's name and the repository, and
-- the ids of the webhook and deploy key Ferry created there ('' when none).
ALTER TABLE bindings ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE bindings ADD COLUMN repository TEXT NOT NULL DEFAULT '';
ALTER TABLE bindings ADD COLUMN hook_id TEXT NOT NULL DEFAULT '';
ALTER TABLE bindings ADD COLUMN deploy_key_id TEXT NOT NULL DEFAULT '';
