-- How far behind its intake the registry is: each node reports its own lag with every
-- stamp of the watch; the largest report holds until `behind_until` (milliseconds since the
-- epoch) unless a larger one replaces it. Deadlines are judged by the clock held back by
-- it, so a heartbeat waiting to be read by a busy node is not judged late.
ALTER TABLE live_watch ADD COLUMN behind_by BIGINT NOT NULL DEFAULT 0;
ALTER TABLE live_watch ADD COLUMN behind_until BIGINT NOT NULL DEFAULT 0;
