/**
 * Check commands (slipway.yaml `environments.<env>.checks`): the project's own end-to-end tests,
 * run once the release serves the environment, before the watch window. Each runs with `sh -c`
 * in the project folder, in its own process group, with the environment's address in
 * SLIPWAY_ENV_URL. A command that outlives its timeout is killed with its whole group (a test
 * runner's browsers and servers too). A failure fails the step, so the environment's rollback
 * runs; the output's tail goes into the reason, which the executor redacts before storing.
 */
import { spawn } from 'node:child_process';
import type { DeploymentContext } from './context.ts';
import type { CheckRunner } from './ports.ts';

/** How much of a check's output is kept (its end: where test runners print failures). */
export const CHECK_OUTPUT_BYTES = 4096;
export const CHECK_DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** After SIGTERM, how long the group has before SIGKILL. */
const KILL_GRACE_MS = 2_000;

export interface CheckRunnerOptions {
  /** Where commands run: the project folder. */
  readonly cwd: string;
  /** The environment commands inherit; default this process's, less slipway's own SLIPWAY_* settings. */
  readonly env?: NodeJS.ProcessEnv;
}

type Outcome = { ok: true; note: string } | { ok: false; reason: string };

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Gone already.
  }
}

/** The inherited environment without slipway's own settings (server tokens, store URLs). */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLIPWAY_')));
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function runOne(
  check: { readonly name: string; readonly run: string; readonly timeoutMs: number },
  env: NodeJS.ProcessEnv,
  cwd: string,
  signal?: AbortSignal,
): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', check.run], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > CHECK_OUTPUT_BYTES) tail = tail.subarray(tail.length - CHECK_OUTPUT_BYTES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let why: 'timeout' | 'aborted' | undefined;
    const stop = (reason: 'timeout' | 'aborted') => {
      why ??= reason;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), check.timeoutMs);
    const onAbort = () => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const output = () => {
      const text = tail.toString('utf8').trimEnd();
      return text ? `\n--- output (last ${CHECK_OUTPUT_BYTES} bytes) ---\n${text}` : ' (no output)';
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `check ${check.name} could not start: ${error.message}` });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Whatever the command left running in its group goes with it.
      killGroup(child.pid, 'SIGKILL');
      const took = seconds(Date.now() - started);
      if (why === 'timeout')
        resolve({
          ok: false,
          reason: `check ${check.name} did not finish within ${seconds(check.timeoutMs)}: killed with its process group; raise its timeout or look for a hang${output()}`,
        });
      else if (why === 'aborted')
        resolve({ ok: false, reason: `check ${check.name} stopped: deployment aborted` });
      else if (code === 0) resolve({ ok: true, note: `check ${check.name} passed in ${took}` });
      else
        resolve({
          ok: false,
          reason: `check ${check.name} failed (${code === null ? `killed by ${sig}` : `exit ${code}`}) after ${took}: \`${check.run}\`${output()}`,
        });
    });
  });
}

export function createCheckRunner(options: CheckRunnerOptions): CheckRunner {
  return {
    async run(ctx: DeploymentContext, signal?: AbortSignal) {
      const env = {
        ...(options.env ?? baseEnv()),
        SLIPWAY_ENV_URL: `http://${ctx.listen.host}:${ctx.listen.port}`,
        SLIPWAY_ENV: ctx.env,
        SLIPWAY_RELEASE: ctx.release.version,
        // Requests with this header reach the new release whatever the traffic weights.
        SLIPWAY_PREVIEW_HEADER: `${ctx.previewHeader}: ${ctx.release.id}`,
      };
      const notes: string[] = [];
      for (const check of ctx.checks ?? []) {
        const result = await runOne(check, env, options.cwd, signal);
        if (!result.ok) return result;
        notes.push(result.note);
      }
      return { ok: true, note: notes.join('; ') };
    },
  };
}
