/**
 * Process helpers for the process runtime: liveness, start identity and process-group signals.
 * Instances run detached in their own process group (pgid = pid), so signalling `-pid` reaches
 * the shell and everything it started.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command name, or null off Linux / for a gone pid. */
function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself hold spaces or parentheses.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

const hasProc = statFields(process.pid) !== null;

/**
 * A value that tells this process apart from a later one that reuses its pid: the start time in
 * clock ticks since boot (field 22 of /proc/PID/stat). Null where /proc is not available.
 */
export function startIdentity(pid: number): string | null {
  const fields = statFields(pid);
  return fields?.[19] ?? null;
}

/** True while the pid runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!hasProc) return true;
  const fields = statFields(pid);
  return fields !== null && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** True when the pid runs and is the same process that was recorded (its start identity matches). */
export function isSameProcess(pid: number, identity: string | null): boolean {
  if (!isAlive(pid)) return false;
  return identity === null || startIdentity(pid) === identity;
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** True while any process of the group runs (zombies, which nobody may reap here, do not count). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!hasProc) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== null && fields[2] === String(pgid) && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Resolves true once `gone()` holds, false when the timeout passes first. */
export async function waitUntil(gone: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!gone()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}

/**
 * Stops a process group gracefully: SIGTERM, wait up to `timeoutMs` for the leader (and the
 * group) to exit, then SIGKILL. Returns how it ended.
 */
export async function stopGroup(pgid: number, timeoutMs: number): Promise<'exited' | 'killed'> {
  signalGroup(pgid, 'SIGTERM');
  // The leader may be a shell whose children outlive it, so wait for the whole group.
  if (await waitUntil(() => !isAlive(pgid) && !groupAlive(pgid), timeoutMs, 40)) return 'exited';
  signalGroup(pgid, 'SIGKILL');
  await waitUntil(() => !isAlive(pgid) && !groupAlive(pgid), 5000);
  return 'killed';
}
