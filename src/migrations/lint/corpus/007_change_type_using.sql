-- expect: change-column-type
-- why: SET DATA TYPE … USING forces a rewrite under ACCESS EXCLUSIVE.
ALTER TABLE payments ALTER COLUMN amount SET DATA TYPE numeric(12,2) USING amount::numeric;
