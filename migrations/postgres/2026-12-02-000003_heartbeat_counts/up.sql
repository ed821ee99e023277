-- Heartbeats each tenant's fleet sent, in buckets of 10 seconds (bucket_start in
-- milliseconds since the epoch). Every node adds the heartbeats it accepted; buckets a
-- few minutes old are deleted as new ones are written.
CREATE TABLE live_heartbeat_counts (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL,
    beats BIGINT NOT NULL CHECK (beats >= 0),
    PRIMARY KEY (tenant_id, bucket_start)
);
