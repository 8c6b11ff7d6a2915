import { runSecretStoreContract } from './contract.case.test.ts';
import { FakeSecretStore } from './fake-secret-store.ts';

runSecretStoreContract({
  name: 'fake (in-memory, for tests of code that uses secrets)',
  create: async () => ({ store: new FakeSecretStore(), cleanup: async () => {} }),
});
