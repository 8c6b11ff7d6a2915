-- expect: none
-- why: Plain VACUUM / ANALYZE take SHARE UPDATE EXCLUSIVE: reads and writes continue.
VACUUM ANALYZE orders;
