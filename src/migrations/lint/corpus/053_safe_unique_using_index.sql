-- expect: none
-- why: ADD CONSTRAINT … UNIQUE USING INDEX attaches an index built concurrently: catalog only.
ALTER TABLE users ADD CONSTRAINT users_handle_key UNIQUE USING INDEX users_handle_idx;
