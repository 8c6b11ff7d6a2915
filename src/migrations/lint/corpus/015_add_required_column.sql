-- expect: add-required-column
-- why: NOT NULL without default fails on a non-empty table and breaks inserts of the running release.
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
