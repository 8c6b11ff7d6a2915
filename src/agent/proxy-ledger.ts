/**
 * The proxies (HAProxy, nginx masters) an agent started, written to `<stateDir>/proxies.json`
 * each time its routing changes. An agent that exits cleanly stops its proxies; one killed with
 * SIGKILL leaves them running with the routing of that moment, and HAProxy binds its port with
 * SO_REUSEPORT, so a new agent's proxy would share the port with the stale one and part of the
 * traffic would follow old weights. The ledger lets the next agent (and `slipway agent stop`)
 * find and end them. A pid is trusted only with the start identity recorded beside it.
 */
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readJson, writeJsonAtomic } from '../runtime/process/atomic-json.ts';
import { isAlive, isSameProcess, signalGroup, startIdentity } from '../runtime/process/proc.ts';

export interface ProxyEntry {
  readonly driver: string;
  readonly env: string;
  readonly pid: number;
  readonly identity: string | null;
  /** The router's folder of files for it (in the system temp folder: socket paths must stay short). */
  readonly dir?: string;
}

export function ledgerPath(stateDir: string): string {
  return join(stateDir, 'proxies.json');
}

export function readLedger(stateDir: string): ProxyEntry[] {
  const entries = readJson<unknown>(ledgerPath(stateDir), []);
  if (!Array.isArray(entries)) return [];
  return entries.filter(
    (e): e is ProxyEntry =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as ProxyEntry).pid === 'number' &&
      typeof (e as ProxyEntry).env === 'string' &&
      typeof (e as ProxyEntry).driver === 'string',
  );
}

/** Writes the ledger when it changed (the agent calls this after every routing change). */
export function writeLedger(stateDir: string, now: readonly Omit<ProxyEntry, 'identity'>[]): void {
  const before = readLedger(stateDir);
  const entries = now.map((e) => ({
    ...e,
    identity: before.find((b) => b.pid === e.pid)?.identity ?? startIdentity(e.pid),
  }));
  const same =
    before.length === entries.length &&
    entries.every((e) => before.some((b) => b.pid === e.pid && b.env === e.env && b.driver === e.driver));
  if (!same) writeJsonAtomic(ledgerPath(stateDir), entries);
}

/**
 * Adds a proxy the moment it is spawned, before it serves: an agent killed while the proxy
 * starts (or restarts after a crash) must not leave a proxy nobody knows about.
 */
export function recordProxy(stateDir: string, entry: Omit<ProxyEntry, 'identity'>): void {
  const kept = readLedger(stateDir).filter((e) => e.pid !== entry.pid && isAlive(e.pid));
  writeJsonAtomic(ledgerPath(stateDir), [...kept, { ...entry, identity: startIdentity(entry.pid) }]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends the recorded proxies that still run: a graceful stop (HAProxy SIGUSR1, nginx SIGQUIT:
 * each stops listening and finishes its requests), then SIGKILL to the process group after
 * `graceMs`. Returns the pids it found running.
 */
export async function endRecordedProxies(stateDir: string, graceMs = 5_000): Promise<ProxyEntry[]> {
  const live = readLedger(stateDir).filter((e) => isSameProcess(e.pid, e.identity));
  for (const e of live) {
    try {
      process.kill(e.pid, e.driver === 'nginx' ? 'SIGQUIT' : 'SIGUSR1');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  const until = Date.now() + graceMs;
  while (live.some((e) => isAlive(e.pid)) && Date.now() < until) await sleep(25);
  for (const e of live) {
    // nginx runs in its own process group (its workers with it); HAProxy's workers are its children.
    if (e.driver === 'nginx') signalGroup(e.pid, 'SIGKILL');
    else if (isAlive(e.pid)) process.kill(e.pid, 'SIGKILL');
  }
  // A killed process still shows for a moment, until the kernel has ended it.
  const killedBy = Date.now() + 2_000;
  while (live.some((e) => isAlive(e.pid)) && Date.now() < killedBy) await sleep(25);
  // Their files too: no router of this agent uses them any more (it is stopped, or not started yet).
  for (const dir of new Set(readLedger(stateDir).flatMap((e) => (e.dir ? [e.dir] : []))))
    if (/^slipway-(haproxy|nginx)-/.test(basename(dir))) rmSync(dir, { recursive: true, force: true });
  writeJsonAtomic(ledgerPath(stateDir), []);
  return live;
}
