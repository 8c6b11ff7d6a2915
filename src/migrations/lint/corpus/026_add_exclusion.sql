-- expect: add-exclusion-constraint
-- why: EXCLUDE builds a GiST index under ACCESS EXCLUSIVE; cannot be NOT VALID.
ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);
