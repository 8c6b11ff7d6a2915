-- expect: add-column-rewrite
-- why: GENERATED … STORED computes and stores a value for every row: rewrite under ACCESS EXCLUSIVE.
ALTER TABLE line_items ADD COLUMN total numeric GENERATED ALWAYS AS (qty * price) STORED;
