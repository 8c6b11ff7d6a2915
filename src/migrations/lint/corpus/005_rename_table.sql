-- expect: rename-table
-- why: ALTER TABLE … RENAME takes ACCESS EXCLUSIVE; queries by the old name fail.
ALTER TABLE customers RENAME TO accounts;
