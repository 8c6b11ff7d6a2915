-- expect: add-column-rewrite
-- why: A volatile default (gen_random_uuid) is evaluated per row: full rewrite under ACCESS EXCLUSIVE, on every version.
ALTER TABLE sessions ADD COLUMN token uuid DEFAULT gen_random_uuid();
