ALTER TABLE live_watch DROP COLUMN behind_until;
ALTER TABLE live_watch DROP COLUMN behind_by;
