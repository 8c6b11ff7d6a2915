-- expect: drop-database
-- why: DROP SCHEMA removes every object the running release uses.
DROP SCHEMA reporting CASCADE;
