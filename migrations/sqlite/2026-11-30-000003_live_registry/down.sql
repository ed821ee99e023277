DROP TABLE event_feeds;
DROP TABLE events;
DROP TABLE live_request_counts;
DROP TABLE live_usage;
DROP TABLE live_limits;
DROP TABLE live_configuration;
DROP TABLE live_service_tags;
DROP TABLE live_services;
