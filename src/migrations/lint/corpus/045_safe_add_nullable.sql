-- expect: none
-- why: ADD COLUMN nullable, no default: catalog-only change, ACCESS EXCLUSIVE for milliseconds.
ALTER TABLE users ADD COLUMN bio text;
