-- expect: none
-- why: With lock_timeout set first, a tool-run migration waits at most 2 s for its lock.
-- runner: tool
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;
CREATE INDEX CONCURRENTLY users_bio_idx ON users (bio);
