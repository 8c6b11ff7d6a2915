-- expect: none
-- why: An allow at the end of the statement's line applies to it.
ALTER TABLE cache_entries DROP COLUMN hits; -- slipway:allow drop-column because release 2.3 stopped reading hits
