-- expect: none
-- why: PostgreSQL 12+ proves NOT NULL from a valid CHECK (col IS NOT NULL): no scan under ACCESS EXCLUSIVE.
ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT email_nn;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT email_nn;
