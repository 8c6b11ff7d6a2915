-- expect: none
-- why: CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: writes continue. Not in a transaction block, so slipway runs it alone.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON orders (created_at);
