-- expect: add-column-rewrite
-- why: random() is VOLATILE: table rewrite.
ALTER TABLE experiments ADD COLUMN bucket double precision DEFAULT random();
