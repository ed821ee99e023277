-- The live registry (/v1.0/{tenantId}): services that heartbeat and time out, their tags,
-- configuration values, per-tenant limits and request counts, and the events feed.
-- Ids are compared byte by byte (paging and namespaces depend on it): collation C.

CREATE TABLE live_services (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    heartbeat_timeout BIGINT NOT NULL CHECK (heartbeat_timeout BETWEEN 3 AND 120),
    -- JSON array and object, as given.
    tags TEXT NOT NULL,
    metadata TEXT NOT NULL,
    -- Milliseconds since the epoch; NULL before the first heartbeat.
    last_seen BIGINT,
    -- When the service is dead unless it heartbeats: every read and heartbeat compares
    -- with it, and the reaper deletes by it.
    deadline BIGINT NOT NULL,
    -- SHA-256 of the one heartbeat token that is good now; a heartbeat swaps it.
    token_hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX live_services_by_deadline ON live_services (deadline);

CREATE TABLE live_service_tags (
    tenant_id BIGINT NOT NULL,
    service_id TEXT COLLATE "C" NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, tag, service_id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES live_services (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX live_service_tags_by_service ON live_service_tags (tenant_id, service_id);

CREATE TABLE live_configuration (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- NULL: the default of the settings.
CREATE TABLE live_limits (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    services BIGINT CHECK (services >= 0),
    configuration_values BIGINT CHECK (configuration_values >= 0)
);

-- What a tenant holds, kept by the writes that change it (behind the tenant's feed lock),
-- so a create checks its limit without counting rows.
CREATE TABLE live_usage (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    services BIGINT NOT NULL CHECK (services >= 0),
    configuration_values BIGINT NOT NULL CHECK (configuration_values >= 0)
);

-- Requests per tenant and fixed window, summed from every node's counts.
CREATE TABLE live_request_counts (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    window_start BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, window_start)
);

CREATE TABLE events (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- UUIDv7, lower-case: its text order is its time order.
    id TEXT COLLATE "C" NOT NULL,
    recorded_at BIGINT NOT NULL,
    -- What the feed shows: when it happened (a timeout: its deadline).
    occurred_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_by_recorded_at ON events (recorded_at);

-- One row per tenant that has events: appending locks it, so a tenant's events are
-- numbered and committed one after the other, on every node, and the feed never shows a
-- later event before an earlier one.
CREATE TABLE event_feeds (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_event_id TEXT NOT NULL,
    version BIGINT NOT NULL
);
