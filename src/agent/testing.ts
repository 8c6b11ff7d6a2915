/** Helpers for agent tests: an agent with the fake router, desired-state bodies for the example app, a raw HTTP caller. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { exampleSpec, PidTracker } from '../runtime/process/testing.ts';
import { tempDir } from '../testing.ts';
import { FakeRouter } from '../traffic/fake-router.ts';
import { type AgentClient, createAgentClient } from './client.ts';
import { type RunningAgent, runAgent } from './main.ts';
import type { EnvBodyInput } from './state.ts';

type ReleaseInput = EnvBodyInput['releases'][number];

/** One release of the example app (see src/runtime/process/testing.ts) in `dir`, ready for a PUT body. */
export function exampleRelease(
  dir: string,
  release: string,
  overrides: Partial<ReleaseInput> = {},
): ReleaseInput {
  const spec = exampleSpec(dir, { release });
  return {
    release,
    weight: 100,
    app: spec.app,
    cwd: spec.cwd,
    command: spec.command,
    vars: { RELEASE: release },
    count: 1,
    health: spec.health,
    startTimeoutMs: spec.startTimeoutMs,
    stopTimeoutMs: spec.stopTimeoutMs,
    ...overrides,
  };
}

export function exampleBody(releases: ReleaseInput[], port = 0): EnvBodyInput {
  return { listen: { host: '127.0.0.1', port }, releases };
}

/** A request with full control over headers and body, for auth and validation tests. */
export async function rawCall(
  url: string,
  method: string,
  options: { token?: string; body?: string } = {},
): Promise<{ status: number; json: { code?: string; message?: string; details?: string[] } }> {
  const response = await fetch(url, {
    method,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  // Errors come in the one envelope, { error: { code, message, details } }.
  const body = (await response.json()) as { error?: { code?: string; message?: string; details?: string[] } };
  return { status: response.status, json: body.error ?? {} };
}

export interface AgentCtx {
  readonly dir: string;
  readonly stateDir: string;
  readonly pids: PidTracker;
  router: FakeRouter;
  running: RunningAgent;
  client: AgentClient;
  token: string;
  /** Closes the current agent (instances keep running) and starts a new one on the same state folder. */
  restart(): Promise<void>;
}

/**
 * Runs a test against an agent (process runtime, FakeRouter) in this process; afterwards deletes
 * every environment, closes the agent and proves no instance is left running.
 */
export async function withAgent(body: (ctx: AgentCtx) => Promise<void>): Promise<void> {
  const release = tempDir('slipway-release-');
  const state = tempDir('slipway-agent-');
  const pids = new PidTracker();
  const start = async () => {
    const router = new FakeRouter();
    const running = await runAgent({ stateDir: state.path, router });
    const token = readFileSync(running.tokenFile, 'utf8').trim();
    return { router, running, token, client: createAgentClient({ url: running.url, token }) };
  };
  const ctx: AgentCtx = {
    dir: release.path,
    stateDir: state.path,
    pids,
    ...(await start()),
    async restart() {
      await ctx.running.close();
      Object.assign(ctx, await start());
    },
  };
  try {
    await body(ctx);
  } finally {
    for (const env of await ctx.client.statusAll()) {
      for (const r of env.releases) pids.add(...r.instances.map((i) => i.pid));
      await ctx.client.deleteEnv(env.env);
    }
    await ctx.running.close();
    const left = pids.leftovers();
    pids.killAll();
    release.cleanup();
    state.cleanup();
    assert.deepEqual(left, [], 'no instance may be left running after the test');
  }
}

export const pidsOf = (status: { releases: readonly { instances: readonly { pid: number | null }[] }[] }) =>
  status.releases.flatMap((r) => r.instances.map((i) => i.pid));
