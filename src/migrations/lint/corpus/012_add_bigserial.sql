-- expect: add-column-rewrite
-- why: bigserial, same as serial.
ALTER TABLE invoices ADD COLUMN seq bigserial;
