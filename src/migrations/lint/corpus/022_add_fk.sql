-- expect: add-foreign-key
-- why: ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables and validates every row.
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
