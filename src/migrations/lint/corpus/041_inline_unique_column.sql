-- expect: add-unique-constraint
-- why: ADD COLUMN … UNIQUE builds a unique index under ACCESS EXCLUSIVE.
ALTER TABLE users ADD COLUMN external_id text UNIQUE;
