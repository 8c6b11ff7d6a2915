/**
 * Helpers for server tests: a server on a free loopback port over a fresh store, an admin token,
 * users with chosen roles, and deployments seeded straight into the store.
 */
import { randomBytes } from 'node:crypto';
import { createApp, transitionsOnly } from '../app/compose.ts';
import { noProjectSecrets } from '../app/secrets.ts';
import type { Grant } from '../domain/auth.ts';
import { AppError } from '../domain/errors.ts';
import type { Deployment } from '../domain/types.ts';
import type { StoredState } from '../engine/executor.ts';
import { initialState } from '../engine/machine.ts';
import type { PlanStep } from '../engine/plan.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import type { Backend } from '../store/testing.ts';
import { grantUsers } from './auth/grant-users.ts';
import { issueToken } from './auth/tokens.ts';
import { type RunningServer, type StartServerOptions, startServer } from './main.ts';

/** An executor whose data-plane calls fail: enough for actions, which only write engine events. */
export const storeOnlyExecutor = transitionsOnly;

/** The app of a test server without an agent: actions and reads work, deploys say why not. */
export function storeOnlyApp(store: Store, config: StartServerOptions['config'] = null) {
  return createApp({
    config,
    projectDir: process.cwd(),
    dataDir: '/nonexistent',
    store,
    secrets: noProjectSecrets(),
    agent: () => {
      throw new AppError('AGENT_UNAVAILABLE', 'this test server has no agent');
    },
    users: grantUsers(store, config),
    // No data plane to ask before resume, abort or rollback: these tests act on records alone.
    checkPremise: false,
  });
}

export interface TestServer {
  readonly url: string;
  readonly store: Store;
  /** Where that store lives, to open a second handle (e.g. with a clock of its own). */
  readonly storeUrl: string;
  readonly server: RunningServer;
  /** An admin's bearer token. */
  readonly admin: string;
  /** A user with these grants and a token for them. */
  user(name: string, grants: readonly Omit<Grant, 'user'>[]): Promise<string>;
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(
  backend: Backend,
  options: Partial<StartServerOptions> = {},
): Promise<TestServer> {
  const { url: storeUrl, cleanup } = await backend.fresh();
  const store = await openStore(storeUrl, process.cwd());
  const server = await startServer({
    store,
    config: options.config ?? null,
    app: options.app ?? storeOnlyApp(store, options.config ?? null),
    port: 0,
    resume: false,
    driveOnAction: false,
    ssePollMs: 50,
    ...options,
  });
  const user = async (name: string, grants: readonly Omit<Grant, 'user'>[]) => {
    await store.putUser(name, 'test');
    for (const g of grants) await store.setGrant({ ...g, user: name }, true);
    return (await issueToken(store, { user: name, name: 'test', expiresInDays: 1, by: 'test' })).secret;
  };
  const admin = await user('root', [{ env: '*', role: 'admin' }]);
  return {
    url: server.url,
    store,
    storeUrl,
    server,
    admin,
    user,
    request(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      if (typeof rest.body === 'string' && !headers.has('content-type'))
        headers.set('content-type', 'application/json');
      return fetch(`${server.url}${path}`, { ...rest, headers });
    },
    async close() {
      await server.close();
      await store.close();
      await cleanup();
    },
  };
}

const PLAN: readonly PlanStep[] = [
  { kind: 'preflight' },
  { kind: 'start', count: 1 },
  { kind: 'shift', weight: 50 },
  { kind: 'pause', durationMs: null },
  { kind: 'finalize' },
];

/** A deployment as `startDeployment` would store it, without running anything. */
export async function seedDeployment(
  store: Store,
  input: { app?: string; env: string; by?: string; status?: 'running' | 'succeeded' },
): Promise<Deployment> {
  const app = input.app ?? 'shop';
  const { release } = await store.putRelease({
    app,
    version: `1.0.${randomBytes(3).readUIntBE(0, 3)}`,
    digest: `sha256:${randomBytes(32).toString('hex')}`,
    commit: null,
    ci: 'passed',
    createdBy: 'ci',
    files: 1,
    bytes: 1,
    notes: null,
  });
  const state: StoredState = {
    engine: initialState(PLAN, Date.now()),
    ctx: seedContext(app, input.env, release),
  };
  return store.createDeployment({
    app,
    env: input.env,
    releaseId: release.id,
    fromReleaseId: null,
    strategy: 'canary',
    createdBy: input.by ?? 'alice',
    state,
    status: input.status ?? 'running',
  });
}

/** A stored state as `startDeployment` writes it, for a deployment seeded straight into a store. */
export function seedState(
  app: string,
  env: string,
  release: { id: string; version: string; digest: string },
  engine: Partial<StoredState['engine']> = {},
): StoredState {
  return { engine: { ...initialState(PLAN, Date.now()), ...engine }, ctx: seedContext(app, env, release) };
}

/** A deployment context as `deploymentContext` would build it (no files behind it). */
export function seedContext(
  app: string,
  env: string,
  release: { id: string; version: string; digest: string },
): StoredState['ctx'] {
  return {
    app,
    env,
    release: { id: release.id, version: release.version, digest: release.digest, cwd: '/nonexistent' },
    stable: null,
    run: {
      command: 'node server.js',
      instances: 1,
      health: { path: '/healthz', intervalMs: 1000, timeoutMs: 1000 },
      startTimeoutMs: 10_000,
      stopTimeoutMs: 5_000,
    },
    vars: {},
    listen: { host: '127.0.0.1', port: 0 },
    previewHeader: 'x-slipway-release',
    warmForMs: 0,
    smoke: [],
    profile: 'default',
    inconclusive: 'wait',
  };
}
