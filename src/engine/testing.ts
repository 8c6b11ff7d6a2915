/**
 * A real data plane for engine tests: an agent in this process (its instances are real child
 * processes of the example shop app), a SQLite store, releases registered from real folders.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentClient } from '../agent/client.ts';
import { runAgent } from '../agent/main.ts';
import { parseConfig } from '../config/load.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import type { Release } from '../domain/types.ts';
import { storeArtifact } from '../releases/artifacts.ts';
import { digestOf } from '../releases/digest.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import { repoRoot, tempDir } from '../testing.ts';
import type { TrafficRouter } from '../traffic/contract.ts';

export const SHOP_APP = join(repoRoot, 'examples/shop/app');

export interface Harness {
  readonly dir: string;
  readonly dataDir: string;
  readonly store: Store;
  readonly agent: ReturnType<typeof createAgentClient>;
  config(yaml: string): SlipwayConfig;
  /** Register the example app as release `version`, with optional faults baked in. */
  release(version: string, faults?: Record<string, unknown>): Promise<Release>;
  close(): Promise<void>;
}

export async function startHarness(router: TrafficRouter): Promise<Harness> {
  const dir = tempDir('slipway-engine-');
  const dataDir = join(dir.path, '.slipway');
  const store = await openStore(join(dataDir, 'slipway.db'), dir.path);
  const running = await runAgent({ stateDir: join(dataDir, 'agent'), router });
  const agent = createAgentClient({ url: running.url, token: running.agent.token });
  return {
    dir: dir.path,
    dataDir,
    store,
    agent,
    config(yaml) {
      const result = parseConfig(yaml, 'slipway.yaml');
      if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
      return result.config;
    },
    async release(version, faults) {
      const src = join(dir.path, 'builds', version);
      cpSync(SHOP_APP, src, { recursive: true });
      writeFileSync(join(src, 'VERSION'), `${version}\n`);
      if (faults) writeFileSync(join(src, 'faults.json'), JSON.stringify(faults));
      const d = await digestOf(src);
      const { release } = await store.putRelease({
        app: 'shop',
        version,
        digest: d.digest,
        commit: null,
        ci: 'passed',
        createdBy: 'test',
        files: d.files,
        bytes: d.bytes,
        notes: null,
      });
      await storeArtifact(dataDir, release.digest, src);
      return release;
    },
    async close() {
      for (const env of await agent.statusAll()) await agent.deleteEnv(env.env);
      await running.close();
      await store.close();
      dir.cleanup();
    },
  };
}
