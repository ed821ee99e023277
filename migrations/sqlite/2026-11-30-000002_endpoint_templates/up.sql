-- Endpoint templates of registered services, and the tenants they are associated with;
-- the service catalog is built from both.

CREATE TABLE endpoint_templates (
    id INTEGER PRIMARY KEY CHECK (id > 0),
    service_id BIGINT NOT NULL REFERENCES services (id),
    -- The region, or '' for none: (service, region) is unique, NULL-safe.
    region_key TEXT NOT NULL,
    region TEXT,
    public_url TEXT NOT NULL,
    public_url2 TEXT,
    internal_url TEXT,
    admin_url TEXT,
    is_global BIGINT NOT NULL CHECK (is_global IN (0, 1)),
    enabled BIGINT NOT NULL CHECK (enabled IN (0, 1)),
    release_state TEXT NOT NULL
        CHECK (release_state IN ('restricted', 'preview', 'beta', 'public', 'decommissioned')),
    version_id TEXT,
    version_info TEXT,
    version_list TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT endpoint_templates_service_region_unique UNIQUE (service_id, region_key)
);

CREATE TABLE tenant_endpoints (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    template_id BIGINT NOT NULL REFERENCES endpoint_templates (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, template_id)
);
CREATE INDEX tenant_endpoints_by_template ON tenant_endpoints (template_id);
