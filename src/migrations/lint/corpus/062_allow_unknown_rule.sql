-- expect: invalid-allow create-index
-- why: An allow naming a rule that does not exist is refused.
-- slipway:allow create-idx because typo
CREATE INDEX lookup_codes_idx ON lookup_codes (code);
