DROP TABLE auth_failures;
DROP INDEX tokens_by_expiry;
ALTER TABLE tokens DROP COLUMN tenant_id;
DROP TABLE access_keys;
ALTER TABLE principals DROP COLUMN api_key_hash;
ALTER TABLE principals DROP COLUMN password_hash;
ALTER TABLE principals DROP COLUMN default_tenant_id;
DROP TABLE principal_tenants;
DROP TABLE tenants;
