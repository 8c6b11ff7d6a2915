/**
 * `slipway agent stop [--instances]`: ends what slipway started on this machine for a state
 * folder. The supervisor first (so nothing restarts the agent), then the agent; with
 * `instances`, the app instances too (each process group, SIGTERM then SIGKILL after its stop
 * timeout) and the containers of image releases (on the engine the agent recorded, by its scope
 * label). Proxies a killed agent left running are ended too. The agent state stays: the next `slipway agent` starts the last desired state again.
 */
import { join, resolve } from 'node:path';
import { readJson, readPointerJson } from '../runtime/process/atomic-json.ts';
import type { InstanceRecord } from '../runtime/process/instance.ts';
import { isAlive, isSameProcess, stopGroup } from '../runtime/process/proc.ts';
import { agentInfoPath } from './info-path.ts';
import { endRecordedProxies } from './proxy-ledger.ts';
import { runningSupervisor } from './supervisor.ts';

export interface StopReport {
  readonly supervisor: number | null;
  readonly agent: number | null;
  /** Proxy processes (HAProxy, nginx) a killed agent had left running. */
  readonly proxies: readonly number[];
  readonly instances: readonly { readonly env: string; readonly release: string; readonly pid: number }[];
  /** Containers of image releases stopped and removed (with `instances`). */
  readonly containers: readonly {
    readonly env: string;
    readonly release: string;
    readonly container: string;
  }[];
  /** Pids still alive after the stop (there should be none). */
  readonly left: readonly number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > until) return false;
    await sleep(40);
  }
  return true;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The agent of a state folder when it runs: its pid. */
export function runningAgentPid(stateDir: string): number | null {
  const info = readPointerJson<{ pid?: number | null; identity?: string | null } | null>(
    agentInfoPath(stateDir),
    null,
  );
  const pid = info?.pid ?? null;
  return pid !== null && isSameProcess(pid, info?.identity ?? null) ? pid : null;
}

export async function stopAgent(
  stateDir: string,
  options: { instances?: boolean; timeoutMs?: number } = {},
): Promise<StopReport> {
  // The agent waits up to 10 s for requests in flight before it exits.
  const timeoutMs = options.timeoutMs ?? 15_000;
  const info = runningSupervisor(stateDir);
  const supervisor = info?.pid ?? null;
  const spare = info?.standbyPid ?? null;
  const agent = runningAgentPid(stateDir);
  // The supervisor stops its agent itself; an agent without one is stopped directly.
  if (supervisor !== null) signal(supervisor, 'SIGTERM');
  else if (agent !== null) signal(agent, 'SIGTERM');
  const processes = [supervisor, agent, spare].filter((p): p is number => p !== null);
  if (!(await gone(processes, timeoutMs))) {
    for (const pid of processes) signal(pid, 'SIGKILL');
    await gone(processes, 2_000);
  }
  // A proxy outlives its agent only when the agent was killed; it belongs to the agent all the same.
  const proxies = (await endRecordedProxies(stateDir)).map((p) => p.pid);
  const instances: { env: string; release: string; pid: number }[] = [];
  if (options.instances) {
    const records = readJson<InstanceRecord[]>(join(stateDir, 'runtime', 'instances.json'), []);
    const live = records.filter(
      (r): r is InstanceRecord & { pid: number } => r.pid !== null && isSameProcess(r.pid, r.identity),
    );
    await Promise.all(live.map((r) => stopGroup(r.pid, 10_000)));
    instances.push(...live.map((r) => ({ env: r.env, release: r.release, pid: r.pid })));
  }
  const containers = options.instances ? await stopContainers(stateDir) : [];
  const left = [...processes, ...proxies, ...instances.map((i) => i.pid)].filter(isAlive);
  return { supervisor, agent, proxies, instances, containers, left };
}

/** The agent's containers, on the engine it recorded; none when it never created one. */
async function stopContainers(stateDir: string): Promise<StopReport['containers']> {
  const dir = join(stateDir, 'containers');
  // Loaded only here: stopping an agent of processes never loads the engine client.
  const { recordedEngine } = await import('../runtime/container/engine-record.ts');
  const dockerHost = recordedEngine(dir);
  if (dockerHost === undefined) return [];
  const { ContainerRuntime } = await import('../runtime/container/container-runtime.ts');
  const { scopeOf } = await import('../runtime/by-image.ts');
  const runtime = new ContainerRuntime({ stateDir: dir, dockerHost, scope: scopeOf(resolve(stateDir)) });
  try {
    return await runtime.stopAll();
  } finally {
    await runtime.close();
  }
}
