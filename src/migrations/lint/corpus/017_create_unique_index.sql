-- expect: create-index
-- why: CREATE UNIQUE INDEX without CONCURRENTLY: SHARE lock too.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
