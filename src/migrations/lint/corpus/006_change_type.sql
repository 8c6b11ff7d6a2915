-- expect: change-column-type
-- why: ALTER COLUMN TYPE int→bigint rewrites the table and its indexes under ACCESS EXCLUSIVE.
ALTER TABLE events ALTER COLUMN id TYPE bigint;
