-- expect: none
-- why: CREATE TABLE AS makes a new table; indexing it is exempt too.
CREATE TABLE shop_totals AS SELECT shop_id, sum(amount) AS total FROM payouts GROUP BY shop_id;
CREATE INDEX shop_totals_idx ON shop_totals (shop_id);
