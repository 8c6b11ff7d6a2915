-- expect: invalid-allow create-index
-- why: An allow without a reason is refused and silences nothing.
-- slipway:allow create-index
CREATE INDEX lookup_codes_idx ON lookup_codes (code);
