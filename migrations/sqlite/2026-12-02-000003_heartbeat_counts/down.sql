DROP INDEX live_services_by_timeout;
DROP TABLE live_heartbeat_counts;
