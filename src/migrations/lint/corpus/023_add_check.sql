-- expect: add-check-constraint
-- why: ADD CHECK (validated) scans the table under ACCESS EXCLUSIVE.
ALTER TABLE products ADD CONSTRAINT price_positive CHECK (price > 0);
