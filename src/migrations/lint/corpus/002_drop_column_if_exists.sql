-- expect: drop-column
-- why: IF EXISTS changes nothing about who reads the column.
ALTER TABLE IF EXISTS users DROP COLUMN IF EXISTS nickname;
