-- expect: drop-table
-- why: DROP TABLE takes ACCESS EXCLUSIVE and removes data the running release queries.
DROP TABLE audit_events;
