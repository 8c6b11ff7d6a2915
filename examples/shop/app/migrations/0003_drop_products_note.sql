-- slipway:contract-after 2.0.0
-- Contract: releases from 2.0.0 on no longer read products.note, so it goes. It runs only once
-- no release an environment may serve (live or rollback target) predates 2.0.0, after its own go.
ALTER TABLE products DROP COLUMN note;
