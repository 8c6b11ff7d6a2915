-- expect: none
-- why: Views and comments on objects take no lock that blocks the app's reads or writes for long.
CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE deleted_at IS NULL;
COMMENT ON TABLE users IS 'people who can log in';
