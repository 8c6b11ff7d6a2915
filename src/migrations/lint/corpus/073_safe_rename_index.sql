-- expect: none
-- why: ALTER INDEX … RENAME takes SHARE UPDATE EXCLUSIVE and the app does not name indexes.
ALTER INDEX orders_idx RENAME TO orders_created_idx;
