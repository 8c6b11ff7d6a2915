-- expect: none
-- why: From PostgreSQL 12 ADD VALUE runs inside a transaction.
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
