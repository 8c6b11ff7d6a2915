/**
 * A real stack for the dashboard's browser tests and benchmark: a project folder with releases of
 * the example shop app, `slipway agent` running real instances, and `slipway server --init`; plus
 * users with tokens: dev (deployer everywhere), alice (approver on production, viewer everywhere).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoad } from '../scripts/demo-load.ts';
import { connectLocalAgent } from '../src/agent/client.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliProcess, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

export const DASHBOARD_CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
config:
  require: { GREETING: string }
  values: { GREETING: hello }
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    config: { values: { DEMO_BANNER: "on" } }
  production:
    profile: fast
    approval: { required: 1, role: approver, selfApproval: false }
    strategy: { canary: { steps: [{ weight: 50, pause: 4s }, { weight: 100 }] } }
`;

export interface DashboardStack {
  readonly url: string;
  readonly tokens: { readonly admin: string; readonly dev: string; readonly alice: string } & Readonly<
    Record<string, string>
  >;
  /** The project folder (slipway.yaml, .slipway/). */
  readonly dir: string;
  /** Stop the server, write a new slipway.yaml, start it again on the same address. */
  restartServer(config: string): Promise<void>;
  /** Calls the API with a bearer token. */
  call<T>(token: string, method: string, path: string, body?: unknown): Promise<T>;
  /** Bounded steady traffic to an environment's router (so the analysis has numbers); returns stop. */
  load(env: string, maxSeconds: number): Promise<() => void>;
  /** Waits until the deployment ends; returns its status. */
  settle(token: string, id: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** slipway.yaml (default DASHBOARD_CONFIG). */
  readonly config?: string;
  /** More users: name, role, environment (each gets a token under its name). */
  readonly users?: readonly (readonly [string, string, string])[];
}

export async function startDashboardStack(
  versions = ['1.0.0', '2.0.0'],
  options: StackOptions = {},
): Promise<DashboardStack> {
  const dir = tempDir('slipway-dashboard-');
  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  const close = async () => {
    await stopProcess(server);
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    for (const env of ['staging', 'production']) await client.deleteEnv(env).catch(() => {});
    await stopProcess(agent);
    dir.cleanup();
  };
  try {
    writeFileSync(join(dir.path, 'slipway.yaml'), options.config ?? DASHBOARD_CONFIG);
    for (const v of versions) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const notes = `Release ${v} <script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">`;
      const r = await cli(
        dir.path,
        'release',
        'create',
        '--version',
        v,
        '--ci',
        'passed',
        '--notes',
        notes,
        join('b', v),
      );
      assert.equal(r.code, 0, r.stderr);
    }
    const tokens: Record<string, string> = {};
    agent = (await startSlipway(dir.path, ['agent'], /admin API on/)).child;
    const s = await startSlipway(dir.path, ['server', '--port', '0', '--init'], /API on http/);
    server = s.child;
    const url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    tokens.admin = initToken(s.out());
    for (const [user, role, env] of [
      ['dev', 'deployer', '*'],
      ['alice', 'approver', 'production'],
      ...(options.users ?? []),
    ] as const) {
      const u = await cliProcess(dir.path, 'user', 'add', user, '--role', role, '--env', env);
      assert.equal(u.code, 0, u.stderr);
      // The approver (a manager) may read every environment, and approve production only.
      if (user === 'alice')
        assert.equal(
          (await cliProcess(dir.path, 'user', 'grant', user, '--env', '*', '--role', 'viewer')).code,
          0,
        );
      const t = await cliProcess(dir.path, '--json', 'token', 'create', '--user', user);
      assert.equal(t.code, 0, t.stderr);
      tokens[user] = (JSON.parse(t.stdout) as { secret: string }).secret;
    }
    const call = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const data = (await res.json()) as T;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
      return data;
    };
    return {
      url,
      dir: dir.path,
      tokens: tokens as DashboardStack['tokens'],
      call,
      async restartServer(config) {
        await stopProcess(server);
        writeFileSync(join(dir.path, 'slipway.yaml'), config);
        const port = new URL(url).port;
        server = (await startSlipway(dir.path, ['server', '--port', port], /API on http/)).child;
      },
      async settle(token, id, timeoutMs = 60_000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const d = await call<{ deployment: { status: string } }>(token, 'GET', `/api/deployments/${id}`);
          if (!['running', 'paused'].includes(d.deployment.status) || Date.now() > end)
            return d.deployment.status;
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      async load(env, maxSeconds) {
        const status = await connectLocalAgent(join(dir.path, '.slipway', 'agent')).status(env);
        const load = startLoad(status.listen.port, { workers: 2, maxSeconds });
        return () => void load.stop();
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
