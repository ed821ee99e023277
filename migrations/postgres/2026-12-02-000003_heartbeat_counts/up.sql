-- Heartbeats each tenant's fleet sent, in buckets of 10 seconds (bucket_start in
-- milliseconds since the epoch). Every node adds the heartbeats it accepted; buckets a
-- few minutes old are deleted as new ones are written.
CREATE TABLE live_heartbeat_counts (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL,
    beats BIGINT NOT NULL CHECK (beats >= 0),
    PRIMARY KEY (tenant_id, bucket_start)
);

-- What a tenant's fleet needs is counted by timeout from this index alone. Heartbeats do
-- not change these columns, so they never write to it.
CREATE INDEX live_services_by_timeout ON live_services (tenant_id, heartbeat_timeout);
