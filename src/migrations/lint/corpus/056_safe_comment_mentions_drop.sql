-- expect: none
-- why: Comments never trigger: the scanner hands them over as comments.
-- we used to DROP TABLE users here; never again
/* ALTER TABLE orders DROP COLUMN total; */
ALTER TABLE users ADD COLUMN note text;
