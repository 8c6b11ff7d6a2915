/**
 * What an instance's log must not hold, and the writer process that keeps it out (log-writer.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { looksLikeSecretName } from '../../secrets/key-names.ts';
import type { InstanceSpec } from '../contract.ts';

const here = fileURLToPath(import.meta.url);
// Beside this file: log-writer.ts in a clone, log-writer.js in the npm package.
const WRITER = fileURLToPath(new URL(`./log-writer${extname(here)}`, import.meta.url));

/** The values of the spec's secret vars and of credential-named ones, by var name. */
export function secretValues(spec: Pick<InstanceSpec, 'vars' | 'secretVars'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(spec.vars))
    if ((spec.secretVars?.includes(key) || looksLikeSecretName(key)) && value !== '') out.set(key, value);
  return out;
}

/**
 * Starts the redacting writer of `logFile`, detached; its stdin is what the instance writes to.
 * The secrets go over fd 3, which is closed at once.
 */
export function startLogWriter(logFile: string, secrets: ReadonlyMap<string, string>): ChildProcess {
  const writer = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', WRITER, logFile], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore', 'pipe'],
  });
  (writer.stdio[3] as NodeJS.WritableStream).end(JSON.stringify(Object.fromEntries(secrets)));
  writer.unref();
  return writer;
}
