-- expect: none
-- why: REFRESH … CONCURRENTLY takes EXCLUSIVE, which still allows reads.
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;
