/** Helpers for agent tests: a desired-state body for the example app, and a raw HTTP caller. */
import { exampleSpec } from '../runtime/process/testing.ts';
import type { EnvBodyInput } from './client.ts';

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
  return { status: response.status, json: (await response.json()) as { code?: string; message?: string } };
}
