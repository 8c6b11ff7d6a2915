import { formatFinding, lintSql } from './lint/lint.ts';
import { loadParser } from './parse.ts';

await loadParser();
const sql = `-- add orders.total
/* note: DROP TABLE x; in a comment */
SELECT 'ALTER TABLE t DROP COLUMN x';
CREATE TABLE fresh (id int);
CREATE INDEX ON fresh (id);
ALTER TABLE orders ADD COLUMN total numeric DEFAULT random();
-- slipway:allow create-index because table has 10 rows
CREATE INDEX orders_total ON orders (total);
ALTER TABLE orders DROP COLUMN legacy; -- slipway:allow drop-column
UPDATE orders SET total = 0;
CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE orders $$;
`;
for (const f of lintSql('m.sql', sql, { pgVersion: 17, runnerSetsLockTimeout: false }).findings)
  console.log(formatFinding(f));
console.log(lintSql('b.sql', 'SELECT 1;\nALTER TABL x;', { pgVersion: 17, runnerSetsLockTimeout: false }));
