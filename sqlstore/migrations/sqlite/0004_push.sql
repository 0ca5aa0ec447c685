-- What a push run was asked to do, and the paths a refused push or pull found changed on
-- both sides.
ALTER TABLE runs ADD COLUMN push_message TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN tag_message TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN from_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN conflict_paths TEXT NOT NULL DEFAULT '[]';
-- The branch's head when last looked at, for "behind".
ALTER TABLE bindings ADD COLUMN remote_commit TEXT NOT NULL DEFAULT '';
