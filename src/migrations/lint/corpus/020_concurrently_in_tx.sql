-- expect: concurrently-in-transaction
-- why: CREATE INDEX CONCURRENTLY cannot run in a transaction block (PostgreSQL errors out).
BEGIN;
CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);
COMMIT;
