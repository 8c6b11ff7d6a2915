-- expect: set-not-null
-- why: SET NOT NULL takes ACCESS EXCLUSIVE and scans the whole table.
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
