DROP TABLE tenant_endpoints;
DROP TABLE endpoint_templates;
