-- expect: add-column-rewrite
-- why: Before PostgreSQL 11 any non-null default rewrites the whole table.
-- pg: 10
ALTER TABLE users ADD COLUMN active boolean DEFAULT true;
