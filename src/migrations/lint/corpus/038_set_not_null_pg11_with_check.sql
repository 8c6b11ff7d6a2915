-- expect: add-check-constraint set-not-null
-- why: On PostgreSQL 11 SET NOT NULL scans even with a valid check; and the check is added validated here.
-- pg: 11
ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL);
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
