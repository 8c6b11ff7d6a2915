-- expect: backfill-in-transaction
-- why: The UPDATE runs in the same transaction as the ADD COLUMN, keeping ACCESS EXCLUSIVE until every row is written.
ALTER TABLE users ADD COLUMN display_name text;
UPDATE users SET display_name = first_name || ' ' || last_name;
