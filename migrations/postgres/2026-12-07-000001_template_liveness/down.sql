DROP INDEX endpoint_templates_by_liveness_tenant;
ALTER TABLE endpoint_templates DROP CONSTRAINT endpoint_templates_liveness_whole;
ALTER TABLE endpoint_templates DROP COLUMN liveness_min_alive;
ALTER TABLE endpoint_templates DROP COLUMN liveness_tag;
ALTER TABLE endpoint_templates DROP COLUMN liveness_tenant_id;
