-- expect: none
-- why: DROP DEFAULT / DROP NOT NULL are catalog-only and relax constraints.
ALTER TABLE users ALTER COLUMN role DROP DEFAULT;
ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;
