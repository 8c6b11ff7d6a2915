/** Runs the CLI in-process with captured output, the way a person would type it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli/main.ts';
import { repoRoot } from '../src/testing.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(cwd: string, ...argv: string[]): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(argv, { cwd, streams: { stdout, stderr } });
  return { code, stdout: out, stderr: err };
}

/**
 * Runs the CLI as its own process. Needed when two commands overlap: two SQLite connections in one
 * process would block each other's synchronous busy waits.
 */
export function cliProcess(cwd: string, ...argv: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
      { cwd },
    );
    let out = '';
    let err = '';
    // A command that never ends would hold the test file open after its test timed out: it is
    // ended instead, and the test fails on its exit code with what it printed.
    const limit = setTimeout(() => {
      err += `\n[test] slipway ${argv.join(' ')} still running after ${CLI_PROCESS_LIMIT_MS} ms: killed\n`;
      child.kill('SIGKILL');
    }, CLI_PROCESS_LIMIT_MS);
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolve({ code: code ?? 124, stdout: out, stderr: err });
    });
  });
}

/** How long `cliProcess` lets a command run (under the 5-minute test timeout). */
const CLI_PROCESS_LIMIT_MS = 240_000;

/** `cli` with `input` on stdin (for `secret set`, which reads the value from stdin). */
export async function cliWithStdin(cwd: string, input: string, ...argv: string[]): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(argv, { cwd, streams: { stdout, stderr }, stdin: Readable.from([input]) });
  return { code, stdout: out, stderr: err };
}

/**
 * Starts `slipway ARGS` as its own process (the agent, the server) and resolves once its output
 * matches `ready`; SLIPWAY_URL/SLIPWAY_TOKEN are cleared so it works on the local project.
 */
export function startSlipway(
  cwd: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...args],
    {
      cwd,
      env: { ...process.env, SLIPWAY_URL: '', SLIPWAY_TOKEN: '' },
    },
  );
  let out = '';
  child.stderr?.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${args[0]} did not start: ${out}`));
    }, timeoutMs);
    child.stdout?.on('data', (c) => {
      out += c;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${out}`)));
  });
}

/** SIGTERM and wait for the exit; nothing when it already ended. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * The first admin token of `slipway server --init`: the server prints only the path of the 0600
 * file holding it (never the token), so read it from there.
 */
export function initToken(output: string): string {
  const file = /its secret is in (\S+) \(mode 0600\)/.exec(output)?.[1];
  if (!file) throw new Error(`server --init printed no token file: ${output}`);
  return readFileSync(file, 'utf8').trim();
}
