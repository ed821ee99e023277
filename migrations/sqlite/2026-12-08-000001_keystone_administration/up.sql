-- What Keystone v3's administration needs beyond the seed's tables.

-- Regions are real: every region a template names is one, and v3 creates more. The
-- parent reference is checked at commit, so a snapshot may restore rows in key order.
CREATE TABLE regions (
    id TEXT PRIMARY KEY CHECK (length(trim(id)) > 0),
    description TEXT NOT NULL DEFAULT '',
    parent_region_id TEXT REFERENCES regions (id) DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO regions (id) SELECT DISTINCT region FROM endpoint_templates WHERE region IS NOT NULL;

-- v3's reversible `enabled` of a service, apart from its HP-IDM lifecycle.
ALTER TABLE services ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));

-- Each v3 endpoint (a template's interface) is enabled on its own.
ALTER TABLE endpoint_templates ADD COLUMN public_enabled BIGINT NOT NULL DEFAULT 1
    CHECK (public_enabled IN (0, 1));
ALTER TABLE endpoint_templates ADD COLUMN internal_enabled BIGINT NOT NULL DEFAULT 1
    CHECK (internal_enabled IN (0, 1));
ALTER TABLE endpoint_templates ADD COLUMN admin_enabled BIGINT NOT NULL DEFAULT 1
    CHECK (admin_enabled IN (0, 1));

-- Keystone's user attributes, and names unique case-insensitively (names are ASCII, so
-- lower() is the application's fold; a pair that already differs only in case keeps its
-- first member's key and the other none, rather than failing the upgrade).
ALTER TABLE principals ADD COLUMN email TEXT;
ALTER TABLE principals ADD COLUMN description TEXT;
ALTER TABLE principals ADD COLUMN name_key TEXT;
UPDATE principals SET name_key = lower(name)
WHERE id = (SELECT min(p.id) FROM principals p WHERE lower(p.name) = lower(principals.name));
CREATE UNIQUE INDEX principals_name_key_unique ON principals (name_key);
