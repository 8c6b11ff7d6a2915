-- expect: none
-- why: REINDEX CONCURRENTLY (12+) keeps reads and writes going.
REINDEX INDEX CONCURRENTLY orders_pkey;
