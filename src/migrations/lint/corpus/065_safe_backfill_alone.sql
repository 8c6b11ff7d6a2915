-- expect: none
-- why: A backfill in a migration of its own (no DDL) holds only row locks.
UPDATE users SET display_name = first_name WHERE display_name IS NULL AND id BETWEEN 1 AND 10000;
