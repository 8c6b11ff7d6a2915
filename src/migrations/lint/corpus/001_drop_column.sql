-- expect: drop-column
-- why: ALTER TABLE DROP COLUMN takes ACCESS EXCLUSIVE (brief, catalog only) but the running release still selects the column.
ALTER TABLE users DROP COLUMN legacy_flag;
