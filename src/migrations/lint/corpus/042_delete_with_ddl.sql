-- expect: backfill-in-transaction drop-index
-- why: A DELETE in the same implicit transaction as a DROP INDEX holds ACCESS EXCLUSIVE while rows are deleted.
DROP INDEX old_idx;
DELETE FROM sessions WHERE expires_at < now();
