ALTER TABLE live_limits DROP COLUMN rate_window_ms;
ALTER TABLE live_limits DROP COLUMN requests;
