/** Runs the CLI in-process with captured output, the way a person would type it. */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli/main.ts';

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
