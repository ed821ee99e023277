DROP TRIGGER services_decommissioned_is_final;
DROP TABLE services;
DROP TABLE tokens;
DROP TABLE principal_levels;
DROP TABLE principals;
