-- expect: none
-- why: NOT VALID skips the scan; VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE (writes go on).
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
