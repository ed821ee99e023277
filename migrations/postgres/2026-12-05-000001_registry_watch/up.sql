-- The live registry's own watch: every reaper run on every node moves `watched_at` to its
-- start (milliseconds since the epoch). A gap between two watches longer than
-- `live.outage_threshold` is an outage of the registry (every node down, the database
-- unreachable, a node frozen): the run that ends it moves the deadlines that fell inside
-- it to the resumption + each service's timeout, so no service is blamed for it.
-- One row; the last outage is kept for operators.
CREATE TABLE live_watch (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    watched_at BIGINT NOT NULL,
    -- The watch before the last one: what the last run compared with.
    previous_watch BIGINT NOT NULL,
    outage_started BIGINT,
    outage_ended BIGINT,
    deadlines_moved BIGINT NOT NULL DEFAULT 0
);
-- Never watched: the first run counts everything since the epoch as an outage, so an
-- upgrade done while the servers were stopped blames no service either.
INSERT INTO live_watch (id, watched_at, previous_watch) VALUES (1, 0, 0);
