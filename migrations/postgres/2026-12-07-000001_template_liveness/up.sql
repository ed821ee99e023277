-- A template backed by a fleet: its endpoints are in a catalog only while at least
-- `liveness_min_alive` live services of tenant `liveness_tenant_id` that carry the tag
-- `liveness_tag` are alive. All three or none.
ALTER TABLE endpoint_templates ADD COLUMN liveness_tenant_id BIGINT REFERENCES tenants (id);
ALTER TABLE endpoint_templates ADD COLUMN liveness_tag TEXT;
ALTER TABLE endpoint_templates ADD COLUMN liveness_min_alive BIGINT
    CHECK (liveness_min_alive BETWEEN 1 AND 1000);
ALTER TABLE endpoint_templates ADD CONSTRAINT endpoint_templates_liveness_whole CHECK (
    (liveness_tenant_id IS NULL) = (liveness_tag IS NULL)
    AND (liveness_tag IS NULL) = (liveness_min_alive IS NULL)
);
CREATE INDEX endpoint_templates_by_liveness_tenant ON endpoint_templates (liveness_tenant_id);
