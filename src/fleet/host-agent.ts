/**
 * The slipway agent of one host, reached through an SSH tunnel: started over SSH when it does not
 * run (detached under its supervisor, so it outlives the connection), its admin API (127.0.0.1 on
 * the host, never open to the network) forwarded to a local port, called with its own token.
 */
import { createAgentClient } from '../agent/client.ts';
import type { DataPlaneClient } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import { sh } from './shell.ts';
import type { SshSession } from './ssh.ts';

export interface HostAgent {
  readonly client: DataPlaneClient;
  /** True when this call started the agent. */
  readonly started: boolean;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The host's folder for this app, made absolute (relative ones are under the SSH user's home). */
export async function hostDir(ssh: SshSession, dir: string): Promise<string> {
  return (await ssh.run(`mkdir -p ${sh(dir)} && cd ${sh(dir)} && pwd -P`)).trim();
}

async function agentInfo(
  ssh: SshSession,
  stateDir: string,
): Promise<{ port: number; pid: number | null } | undefined> {
  const read = await ssh.exec(`cat ${sh(`${stateDir}/agent.json`)}`);
  if (read.code !== 0) return undefined;
  try {
    const info = JSON.parse(read.stdout) as { port?: unknown; pid?: unknown };
    if (typeof info.port !== 'number') return undefined;
    return { port: info.port, pid: typeof info.pid === 'number' ? info.pid : null };
  } catch {
    return undefined;
  }
}

/** How `slipway hosts bootstrap` installed this host's agent, if it did. */
async function bootstrapped(ssh: SshSession, stateDir: string): Promise<{ start: string } | undefined> {
  const read = await ssh.exec(`cat ${sh(`${stateDir}/bootstrap.json`)}`);
  if (read.code !== 0) return undefined;
  try {
    const record = JSON.parse(read.stdout) as { start?: unknown };
    return typeof record.start === 'string' ? { start: record.start } : undefined;
  } catch {
    return undefined;
  }
}

async function tunnelTo(ssh: SshSession, stateDir: string, port: number) {
  const token = (await ssh.run(`cat ${sh(`${stateDir}/agent.token`)}`)).trim();
  const forward = await ssh.forward('127.0.0.1', port);
  const client = createAgentClient({ url: `http://127.0.0.1:${forward.port}`, token });
  return { client, forward };
}

/** Connects to the host's agent, starting it first when none answers. */
export async function openHostAgent(
  ssh: SshSession,
  options: { dir: string; agentCommand: string; startTimeoutMs?: number; start?: boolean },
): Promise<HostAgent> {
  const stateDir = `${options.dir}/agent`;
  const running = await agentInfo(ssh, stateDir);
  if (running?.pid != null) {
    const { client, forward } = await tunnelTo(ssh, stateDir, running.port);
    try {
      await client.statusAll();
      return { client, started: false, close: forward.close };
    } catch {
      await forward.close();
    }
  }
  if (options.start === false)
    throw new AppError('AGENT_UNAVAILABLE', `host ${ssh.target.address}: its agent does not answer`);
  // None answers: start one, detached from this SSH session (setsid), under its supervisor — the
  // service `slipway hosts bootstrap` installed when there is one.
  await ssh.run(`rm -f ${sh(`${stateDir}/agent.json`)} && mkdir -p ${sh(stateDir)}`);
  const installed = await bootstrapped(ssh, stateDir);
  await ssh.run(
    installed !== undefined
      ? `cd ${sh(options.dir)} && ${installed.start}`
      : `cd ${sh(options.dir)} && (setsid ${options.agentCommand} agent --supervise --state-dir ${sh(stateDir)} > ${sh(`${options.dir}/agent.log`)} 2>&1 < /dev/null &)`,
  );
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const info = await agentInfo(ssh, stateDir);
    if (info?.pid != null) {
      const { client, forward } = await tunnelTo(ssh, stateDir, info.port);
      try {
        await client.statusAll();
        return { client, started: true, close: forward.close };
      } catch {
        await forward.close();
      }
    }
    await sleep(300);
  }
  const log = await ssh.exec(`tail -n 5 ${sh(`${options.dir}/agent.log`)}`);
  throw new AppError(
    'AGENT_UNAVAILABLE',
    `host ${ssh.target.address}: the agent started with \`${options.agentCommand} agent\` did not answer within ${Math.round((options.startTimeoutMs ?? 30_000) / 1000)} s; check hosts[].agent (slipway must be installed on the host). Its log ends: ${log.stdout.trim() || '(empty)'}`,
  );
}
