-- expect: add-column-rewrite
-- why: Adding an identity column gives every existing row a value from the sequence: a table rewrite under ACCESS EXCLUSIVE.
ALTER TABLE tickets ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY NOT NULL;
