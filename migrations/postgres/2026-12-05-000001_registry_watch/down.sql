DROP TABLE live_watch;
