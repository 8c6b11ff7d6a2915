-- Expand (release 2.0.0): a column the previous release ignores. A constant default is stored in
-- the catalog from PostgreSQL 11 on, so no table rewrite: a brief lock, nothing more.
ALTER TABLE products ADD COLUMN stock integer NOT NULL DEFAULT 10;
