-- expect: add-column-rewrite
-- why: serial expands to DEFAULT nextval(...), volatile: every existing row gets a value, table rewrite.
ALTER TABLE invoices ADD COLUMN seq serial;
