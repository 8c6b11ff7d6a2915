-- expect: require-lock-timeout drop-index
-- why: Run by a tool that sets no lock_timeout: DROP INDEX waits for ACCESS EXCLUSIVE and queues every query behind it.
-- runner: tool
DROP INDEX orders_status_idx;
