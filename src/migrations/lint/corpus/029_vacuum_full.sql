-- expect: vacuum-full
-- why: VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.
VACUUM FULL orders;
