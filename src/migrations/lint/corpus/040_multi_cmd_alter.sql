-- expect: add-foreign-key drop-column
-- why: One ALTER TABLE with two commands: each is judged on its own.
ALTER TABLE orders
  ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops (id),
  DROP COLUMN shop_name;
