-- expect: none
-- why: Tables created in the same migration are exempt: nobody reads them yet.
CREATE TABLE payouts (id bigserial PRIMARY KEY, shop_id bigint NOT NULL, amount numeric NOT NULL);
CREATE INDEX payouts_shop_idx ON payouts (shop_id);
ALTER TABLE payouts ADD CONSTRAINT payouts_amount_positive CHECK (amount > 0);
ALTER TABLE payouts ADD COLUMN ref uuid DEFAULT gen_random_uuid();
ALTER TABLE payouts ALTER COLUMN ref SET NOT NULL;
