/** Runs the CLI in-process with captured output, the way a person would type it. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
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
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout: out, stderr: err }));
  });
}
