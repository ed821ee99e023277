-- One counter per cached kind of data, bumped in the same transaction as every write to
-- it: each node polls the counters and drops its cached representations when one moves,
-- so other nodes' writes reach its readers within a bound (see src/platform/freshness.rs).
CREATE TABLE generations (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO generations (name, value) VALUES ('registry.services', 0);
