-- expect: lock-table
-- why: Explicit LOCK … ACCESS EXCLUSIVE blocks all readers until commit.
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
SELECT 1;
