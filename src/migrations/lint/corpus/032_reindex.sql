-- expect: reindex
-- why: REINDEX without CONCURRENTLY locks out writes (and reads through the index).
REINDEX INDEX orders_pkey;
