-- expect: refresh-materialized-view
-- why: REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE on the view.
REFRESH MATERIALIZED VIEW daily_sales;
