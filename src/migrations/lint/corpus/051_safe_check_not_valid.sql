-- expect: none
-- why: CHECK … NOT VALID then VALIDATE: the scan happens under SHARE UPDATE EXCLUSIVE.
ALTER TABLE products ADD CONSTRAINT price_positive CHECK (price > 0) NOT VALID;
