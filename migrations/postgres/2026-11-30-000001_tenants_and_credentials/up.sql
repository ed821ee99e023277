-- Tenants, principals' membership and default tenant, credentials (stored hashed), the
-- scope of a token, and the failed-authentication counters that throttle guessing.

CREATE TABLE tenants (
    id BIGINT PRIMARY KEY CHECK (id > 0),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    -- Case-folded name computed by the application; the constraint decides races.
    name_key TEXT NOT NULL,
    description TEXT,
    enabled BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at BIGINT NOT NULL,
    CONSTRAINT tenants_name_key_unique UNIQUE (name_key)
);

CREATE TABLE principal_tenants (
    principal_id BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (principal_id, tenant_id)
);
CREATE INDEX principal_tenants_by_tenant ON principal_tenants (tenant_id);

ALTER TABLE principals ADD COLUMN default_tenant_id BIGINT REFERENCES tenants (id);
-- PHC strings (argon2id, salted); never the secret itself.
ALTER TABLE principals ADD COLUMN password_hash TEXT;
ALTER TABLE principals ADD COLUMN api_key_hash TEXT;

CREATE TABLE access_keys (
    access_key TEXT PRIMARY KEY,
    principal_id BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at BIGINT NOT NULL
);
CREATE INDEX access_keys_by_principal ON access_keys (principal_id);

-- NULL: unscoped. A token dies with its tenant.
ALTER TABLE tokens ADD COLUMN tenant_id BIGINT REFERENCES tenants (id) ON DELETE CASCADE;
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

-- Consecutive failed authentications per (principal, client address).
CREATE TABLE auth_failures (
    principal_id BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    client TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    PRIMARY KEY (principal_id, client)
);
