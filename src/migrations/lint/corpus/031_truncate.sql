-- expect: truncate
-- why: TRUNCATE takes ACCESS EXCLUSIVE and deletes all rows.
TRUNCATE TABLE sessions;
