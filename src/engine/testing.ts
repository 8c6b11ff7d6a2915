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
  /** The agent's admin API (its `/metrics` wants the bearer token in `<dataDir>/agent/agent.token`). */
  readonly agentUrl: string;
  config(yaml: string): SlipwayConfig;
  /** Register the example app as release `version`, with optional faults baked in. */
  release(version: string, faults?: Record<string, unknown>): Promise<Release>;
  close(): Promise<void>;
}

/** `log` receives the agent's log lines (as `slipway agent` prints them). */
export async function startHarness(
  router: TrafficRouter,
  options: { log?: (line: string) => void } = {},
): Promise<Harness> {
  const dir = tempDir('slipway-engine-');
  const dataDir = join(dir.path, '.slipway');
  const store = await openStore(join(dataDir, 'slipway.db'), dir.path);
  const running = await runAgent({
    stateDir: join(dataDir, 'agent'),
    router,
    ...(options.log && { log: options.log }),
  });
  const agent = createAgentClient({ url: running.url, token: running.agent.token });
  return {
    dir: dir.path,
    dataDir,
    store,
    agent,
    agentUrl: running.url,
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

/**
 * The engine as the app composes it (`createApp`: real guard, metric providers from slipway.yaml,
 * smoke, preflight) over a harness, and a `deploy` that registers and starts a release.
 * `intervalMs` shortens the guard's measuring interval.
 */
export async function composedEngine(h: Harness, yaml: string, intervalMs = 200) {
  const { createApp } = await import('../app/compose.ts');
  const { lazyProjectSecrets } = await import('../app/secrets.ts');
  const config = h.config(yaml);
  const app = createApp({
    config,
    projectDir: h.dir,
    dataDir: h.dataDir,
    store: h.store,
    secrets: lazyProjectSecrets(config, h.dir),
    agent: h.agent,
    intervalMs,
  });
  const executor = app.executor();
  const deploy = async (env: string, version: string, faults?: Record<string, unknown>) => {
    if (!(await h.store.findRelease('shop', version))) await h.release(version, faults);
    return (await app.deploy(env, version, 'alice')).deployment;
  };
  return { config, executor, deploy, app };
}

/**
 * Continuous loopback load for end-to-end fault tests: a few workers requesting one URL with a
 * short gap, bounded in time and count, counting every answer that is not a 2xx as a failure.
 */
export interface LoadFigures {
  readonly ok: number;
  /** The first few failures, as "status" or "error: message". */
  readonly failures: readonly string[];
  readonly failed: number;
}

export interface Load {
  stop(): Promise<LoadFigures>;
}

export function startLoad(options: {
  url: string;
  workers?: number;
  gapMs?: number;
  maxMs?: number;
  maxRequests?: number;
}): Load {
  const { url, workers = 4, gapMs = 25, maxMs = 240_000, maxRequests = 200_000 } = options;
  const until = Date.now() + maxMs;
  let stopped = false;
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  const fail = (what: string) => {
    failed++;
    if (failures.length < 20) failures.push(what);
  };
  const started = Date.now();
  // Each failure says when (ms into the load) and what: the status with the router's own words
  // (which 502: no healthy backend, or a release that did not answer), or the client's error.
  const at = () => `+${Date.now() - started}ms`;
  const worker = async () => {
    while (!stopped && Date.now() < until && ok + failed < maxRequests) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        if (res.ok) ok++;
        else fail(`${at()} ${res.status} ${text.trim().slice(0, 80)}`);
      } catch (error) {
        fail(
          `${at()} error: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`,
        );
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));
  return {
    async stop() {
      stopped = true;
      await running;
      return { ok, failed, failures };
    },
  };
}
