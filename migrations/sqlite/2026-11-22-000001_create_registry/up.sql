-- Principals, their privilege levels and hashed tokens; registered services.
-- Times are milliseconds since the Unix epoch (BIGINT on both backends).

CREATE TABLE principals (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'enabled'
        CHECK (status IN ('enabled', 'disabled', 'suspended')),
    created_at BIGINT NOT NULL
);

CREATE TABLE principal_levels (
    principal_id BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('SA', 'SVC', 'DA', 'DU')),
    PRIMARY KEY (principal_id, level)
);

-- Only the SHA-256 of a token is stored, never the token.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    principal_id BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tokens_by_principal ON tokens (principal_id);

-- INTEGER PRIMARY KEY makes the client-chosen id the rowid: lookups and keyset pages
-- walk the table's own b-tree.
CREATE TABLE services (
    id INTEGER PRIMARY KEY CHECK (id > 0),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    -- Unicode case-folded, NFC-normalized name, computed by the application; the
    -- constraint (not a check-then-insert) makes names unique across racing writers.
    name_key TEXT NOT NULL,
    service_type TEXT NOT NULL CHECK (length(trim(service_type)) > 0),
    release_state TEXT NOT NULL
        CHECK (release_state IN ('restricted', 'preview', 'beta', 'public', 'decommissioned')),
    description TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT services_name_key_unique UNIQUE (name_key)
);
CREATE INDEX services_by_type ON services (service_type, id);

-- Backstop for the lifecycle rule: whatever writes the table, decommissioned is final.
CREATE TRIGGER services_decommissioned_is_final
BEFORE UPDATE OF release_state ON services
WHEN OLD.release_state = 'decommissioned' AND NEW.release_state <> 'decommissioned'
BEGIN
    SELECT RAISE(ABORT, 'decommissioned is final');
END;
