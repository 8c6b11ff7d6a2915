-- expect: none
-- why: DROP INDEX CONCURRENTLY waits for queries without blocking them.
DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;
