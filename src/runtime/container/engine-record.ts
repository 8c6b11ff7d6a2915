/**
 * The engine a container runtime used, recorded in its state folder once it creates a container:
 * `slipway agent stop --instances` runs in another process (maybe with another DOCKER_HOST, or none)
 * and must reach the same engine to stop the agent's containers. No record: the agent never ran one.
 */
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../process/atomic-json.ts';

const FILE = 'engine.json';

export function recordEngine(stateDir: string, address: string): void {
  writeJsonAtomic(join(stateDir, FILE), { address });
}

/** The engine address recorded in `stateDir`, when a container was ever created from there. */
export function recordedEngine(stateDir: string): string | undefined {
  const record = readJson<{ address?: unknown } | null>(join(stateDir, FILE), null);
  return typeof record?.address === 'string' ? record.address : undefined;
}
