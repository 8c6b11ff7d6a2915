import { sql } from 'kysely';
import { runAuditTamperSuite } from './audit-tamper.case.test.ts';
import { runStoreContract, type StoreContractOptions } from './contract.case.test.ts';
import { runStoreAuthContract } from './contract-auth.case.test.ts';
import { openStore } from './factory.ts';
import type { SqlStore } from './sql/sql-store.ts';
import { BACKENDS } from './testing.ts';

for (const backend of BACKENDS) {
  const options: StoreContractOptions = {
    name: backend.name,
    skip: () => backend.skip(),
    async open(options = {}) {
      const { url, cleanup } = await backend.fresh();
      const store = await openStore(url, process.cwd(), options);
      return { store, reopen: () => openStore(url, process.cwd(), options), cleanup };
    },
    async exec(store, text) {
      await sql.raw(text).execute((store as SqlStore).db);
    },
  };
  runStoreContract(options);
  runStoreAuthContract(options);
  runAuditTamperSuite(options);
}
