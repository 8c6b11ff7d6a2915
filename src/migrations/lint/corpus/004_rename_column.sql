-- expect: rename-column
-- why: RENAME COLUMN takes ACCESS EXCLUSIVE; the old name disappears under the running release.
ALTER TABLE orders RENAME COLUMN amount TO total_cents;
