-- expect: concurrently-in-transaction
-- why: DROP INDEX CONCURRENTLY cannot run in a transaction block.
BEGIN;
DROP INDEX CONCURRENTLY orders_user_idx;
COMMIT;
