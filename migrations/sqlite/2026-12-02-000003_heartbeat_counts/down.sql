DROP TABLE live_heartbeat_counts;
