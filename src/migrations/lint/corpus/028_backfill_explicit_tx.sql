-- expect: backfill-in-transaction
-- why: Explicit BEGIN…COMMIT around DDL and a backfill: same problem.
BEGIN;
ALTER TABLE orders ADD COLUMN region text;
UPDATE orders SET region = 'eu' WHERE region IS NULL;
COMMIT;
