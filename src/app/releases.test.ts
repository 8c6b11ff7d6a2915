/** removeRelease keeps what an environment runs or may roll back to (real SQLite store). */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath } from '../releases/artifacts.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import { tempDir } from '../testing.ts';
import { registerRelease, removeRelease } from './releases.ts';

describe('removeRelease', () => {
  const dir = tempDir();
  const dataDir = join(dir.path, '.slipway');
  let store: Store;
  const deps = () => ({ store, dataDir, app: 'shop' });
  const register = async (version: string) => {
    const src = join(dir.path, `b${version}`);
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'app.js'), version);
    return (await registerRelease(deps(), { source: src, version, ci: 'passed', user: 'alice' })).release;
  };
  before(async () => {
    store = await openStore(undefined, dir.path);
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  test('refuses the running and the previous release of an environment, removes an older one', async () => {
    const [one, two, three] = [await register('1'), await register('2'), await register('3')];
    await store.setEnvironmentRelease('shop', 'staging', one.id, 'alice');
    await store.setEnvironmentRelease('shop', 'staging', two.id, 'alice');
    await store.setEnvironmentRelease('shop', 'staging', three.id, 'alice');
    await assert.rejects(removeRelease(deps(), '3', 'bob'), (e: Error & { code: string }) => {
      assert.equal(e.code, 'RELEASE_IN_USE');
      assert.match(e.message, /release shop 3 is in use and stays registered: staging runs it/);
      return true;
    });
    await assert.rejects(removeRelease(deps(), '2', 'bob'), /staging may roll back to it/);
    const removed = await removeRelease(deps(), '1', 'bob');
    assert.equal(removed.version, '1');
    assert.equal(existsSync(artifactPath(dataDir, one.digest)), false);
    assert.ok(existsSync(artifactPath(dataDir, two.digest)));
    const audit = await store.latestAudit({ actions: ['release.remove'] });
    assert.equal(audit?.actor, 'bob');
    assert.equal(audit?.target, 'shop@1');
  });
});
