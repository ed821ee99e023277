DROP INDEX principals_name_key_unique;
ALTER TABLE principals DROP COLUMN name_key;
ALTER TABLE principals DROP COLUMN description;
ALTER TABLE principals DROP COLUMN email;
ALTER TABLE endpoint_templates DROP COLUMN admin_enabled;
ALTER TABLE endpoint_templates DROP COLUMN internal_enabled;
ALTER TABLE endpoint_templates DROP COLUMN public_enabled;
ALTER TABLE services DROP COLUMN enabled;
DROP TABLE regions;
