-- expect: create-index
-- why: Schema-qualified table, same SHARE lock.
CREATE INDEX IF NOT EXISTS idx_billing_due ON billing.invoices (due_at) WHERE paid_at IS NULL;
