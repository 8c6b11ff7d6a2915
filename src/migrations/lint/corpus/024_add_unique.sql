-- expect: add-unique-constraint
-- why: ADD UNIQUE builds an index under ACCESS EXCLUSIVE.
ALTER TABLE users ADD CONSTRAINT users_handle_key UNIQUE (handle);
