-- expect: enum-value-in-transaction
-- why: Before PostgreSQL 12, ALTER TYPE … ADD VALUE errors inside a transaction block (the runner wraps the file).
-- pg: 11
ALTER TYPE order_status ADD VALUE 'refunded';
