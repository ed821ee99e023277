-- Each tenant's own rate limit: requests per window, and the window's length in
-- milliseconds. NULL: the default of the settings.
ALTER TABLE live_limits ADD COLUMN requests BIGINT CHECK (requests >= 0);
ALTER TABLE live_limits ADD COLUMN rate_window_ms BIGINT CHECK (rate_window_ms >= 1000);

-- Before this version deleting a configuration value did not give its place back, so
-- the kept counts may be too high: count the rows once.
UPDATE live_usage SET
    services = (SELECT COUNT(*) FROM live_services s WHERE s.tenant_id = live_usage.tenant_id),
    configuration_values =
        (SELECT COUNT(*) FROM live_configuration c WHERE c.tenant_id = live_usage.tenant_id);
