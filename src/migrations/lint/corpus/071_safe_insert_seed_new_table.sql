-- expect: none
-- why: Seeding a table created in the same migration is not a backfill of a live table.
CREATE TABLE currencies (code text PRIMARY KEY, name text NOT NULL);
INSERT INTO currencies SELECT code, name FROM staging_currencies;
