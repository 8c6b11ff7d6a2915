-- expect: create-index
-- why: CREATE INDEX takes SHARE: blocks INSERT/UPDATE/DELETE for the whole build.
CREATE INDEX orders_created_at_idx ON orders (created_at);
