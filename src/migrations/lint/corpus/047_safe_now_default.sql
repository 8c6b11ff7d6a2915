-- expect: none
-- why: now() is STABLE, evaluated once at ALTER time: no rewrite on 11+.
ALTER TABLE orders ADD COLUMN imported_at timestamptz DEFAULT now();
