/**
 * The app over fakes, for tests of src/app/ and its callers: an in-memory data plane standing in
 * for the agent (it keeps desired states and weights, starts nothing), a temporary SQLite store,
 * the in-memory secret store, and release folders written to a temporary project.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentClient } from '../agent/client.ts';
import { type DesiredEnv, type EnvBodyInput, envBodySchema } from '../agent/state.ts';
import type { EnvStatus } from '../agent/status.ts';
import { parseConfig } from '../config/load.ts';
import { AppError } from '../domain/errors.ts';
import type { Release } from '../domain/types.ts';
import { artifactPath } from '../releases/artifacts.ts';
import { FakeSecretStore } from '../secrets/fake-secret-store.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import { tempDir } from '../testing.ts';
import { type App, type AppDeps, createApp } from './compose.ts';

/** Holds desired states the way the agent does, without running anything. */
export class FakeAgent implements AgentClient {
  readonly envs = new Map<string, DesiredEnv>();
  /** Every call, in order (`putEnv env`, `setWeights env {…}`), for tests to compare. */
  readonly calls: string[] = [];
  /** Set to make every call fail as an unreachable agent does. */
  down = false;

  #check(): void {
    if (this.down) throw new AppError('AGENT_UNAVAILABLE', 'the fake agent is down');
  }

  #status(env: string): EnvStatus {
    const d = this.envs.get(env);
    if (!d) throw new AppError('ENV_NOT_FOUND', `the agent runs no environment ${env}`);
    return {
      env,
      driver: d.driver ?? 'builtin',
      listen: { host: d.listen.host, port: d.listen.port },
      releases: d.releases.map((r) => ({
        release: r.release,
        weight: r.weight,
        app: r.app,
        command: r.command,
        vars: Object.keys(r.vars).sort(),
        instances: [],
        healthy: true,
      })) as unknown as EnvStatus['releases'],
      healthy: true,
      updatedAt: new Date().toISOString(),
    };
  }

  async putEnv(env: string, body: EnvBodyInput): Promise<EnvStatus> {
    this.#check();
    this.calls.push(`putEnv ${env}`);
    this.envs.set(env, { ...envBodySchema.parse(body), env });
    return this.#status(env);
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<EnvStatus> {
    this.#check();
    this.calls.push(`setWeights ${env} ${JSON.stringify(weights)}`);
    const d = this.envs.get(env);
    if (!d) throw new AppError('ENV_NOT_FOUND', `the agent runs no environment ${env}`);
    this.envs.set(env, {
      ...d,
      releases: d.releases.map((r) => ({ ...r, weight: weights[r.release] ?? 0 })),
    });
    return this.#status(env);
  }

  async status(env: string): Promise<EnvStatus> {
    this.#check();
    return this.#status(env);
  }

  async desired(env: string): Promise<DesiredEnv | undefined> {
    this.#check();
    return this.envs.get(env);
  }

  async statusAll(): Promise<EnvStatus[]> {
    this.#check();
    return [...this.envs.keys()].map((env) => this.#status(env));
  }

  async deleteEnv(env: string): Promise<void> {
    this.#check();
    this.calls.push(`deleteEnv ${env}`);
    this.envs.delete(env);
  }

  async logs(): Promise<string[]> {
    return [];
  }

  async metrics(_env: string, release: string, windowMs: number) {
    this.#check();
    return {
      release,
      windowMs,
      requests: 0,
      status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
      failures: 0,
      latency: { p50: null, p95: null, p99: null },
    } as Awaited<ReturnType<AgentClient['metrics']>>;
  }

  async *followLogs(): AsyncIterable<string> {}
}

export interface FakeApp {
  readonly app: App;
  readonly agent: FakeAgent;
  readonly secrets: FakeSecretStore;
  readonly store: Store;
  /** The temporary project folder (slipway.yaml's folder). */
  readonly projectDir: string;
  /** Register a release whose files are a tiny folder. */
  release(version: string): Promise<Release>;
  /** Another App over the same store, agent and folder (as a second process would build). */
  again(overrides?: Partial<AppDeps>): App;
  close(): Promise<void>;
}

export const FAKE_CONFIG = `app: shop
run: { command: "node server.js", instances: 1 }
environments:
  staging: { strategy: rolling }
  production:
    strategy: blue-green
    approval: { required: 1 }
users:
  alice: [deployer]
  bob: [approver, deployer]
  root: [admin, approver, deployer]
`;

export async function createFakeApp(
  options: { yaml?: string; overrides?: Partial<AppDeps> } = {},
): Promise<FakeApp> {
  const dir = tempDir('slipway-app-');
  const parsed = parseConfig(options.yaml ?? FAKE_CONFIG, 'slipway.yaml');
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
  const dataDir = join(dir.path, '.slipway');
  const store = await openStore(join(dataDir, 'slipway.db'), dir.path);
  const agent = new FakeAgent();
  const secrets = new FakeSecretStore();
  const deps = (overrides: Partial<AppDeps> = {}): AppDeps => ({
    config: parsed.config,
    projectDir: dir.path,
    dataDir,
    store,
    secrets,
    agent,
    processEnv: {},
    ...options.overrides,
    ...overrides,
  });
  return {
    app: createApp(deps()),
    agent,
    secrets,
    store,
    projectDir: dir.path,
    async release(version) {
      const digest = `sha256:${createHash('sha256').update(version).digest('hex')}`;
      const folder = artifactPath(dataDir, digest);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'server.js'), `// ${version}\n`);
      const { release } = await store.putRelease({
        app: parsed.config.app,
        version,
        digest,
        commit: null,
        ci: 'passed',
        createdBy: 'ci',
        files: 1,
        bytes: 1,
        notes: null,
      });
      return release;
    },
    again: (overrides) => createApp(deps(overrides)),
    async close() {
      await store.close();
      dir.cleanup();
    },
  };
}
