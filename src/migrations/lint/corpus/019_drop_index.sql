-- expect: drop-index
-- why: DROP INDEX takes ACCESS EXCLUSIVE on the index's table.
DROP INDEX orders_status_idx;
