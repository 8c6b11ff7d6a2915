-- expect: none
-- why: An inline allow with a reason accepts the finding (it stays listed as allowed).
-- slipway:allow create-index because lookup_codes has 40 rows and never grows
CREATE INDEX lookup_codes_idx ON lookup_codes (code);
