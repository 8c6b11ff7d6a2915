/**
 * A throwaway slipway project driven through the real CLI (bin/slipway.js) for the kill
 * benchmarks: its own folder, `slipway agent` as a child process, builds of the example shop
 * registered as releases, and every command run as its own process, as a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentClient } from '../src/agent/client.ts';

const here = new URL('..', import.meta.url).pathname;

export interface CliProject {
  readonly dir: string;
  /** Start `slipway args...` in the project; resolves when it exits. */
  spawnCli(args: string[]): ChildProcess;
  run(args: string[]): Promise<number>;
  /** Run and fail on a non-zero exit. */
  must(args: string[]): Promise<void>;
  /** Start `slipway agent [args]` (e.g. `--supervise`) and wait for its admin API. */
  startAgent(args?: string[]): Promise<ChildProcess>;
  agent(): ReturnType<typeof createAgentClient>;
  release(version: string, faults?: object): Promise<void>;
  close(): Promise<void>;
}

/** `root`: the checkout whose bin/slipway.js runs (default this one; a bench may compare another). */
export function cliProject(yaml: string, root = here): CliProject {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  writeFileSync(join(dir, 'slipway.yaml'), yaml);
  const children = new Set<ChildProcess>();
  const spawnCli = (args: string[]) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(root, 'bin/slipway.js'), ...args],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLIPWAY_USER: '' } },
    );
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };
  const run = async (args: string[]) => {
    const child = spawnCli(args);
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.stderr?.on('data', (c) => (out += c));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) process.stderr.write(`slipway ${args.join(' ')} exited ${code}:\n${out}\n`);
    return code ?? 1;
  };
  const p: CliProject = {
    dir,
    spawnCli,
    run,
    async must(args) {
      const code = await run(args);
      if (code !== 0) throw new Error(`slipway ${args.join(' ')} exited ${code}`);
    },
    async startAgent(args = []) {
      const agent = spawnCli(['agent', ...args]);
      let stderr = '';
      agent.stderr?.on('data', (c) => {
        stderr = (stderr + c).slice(-4000);
      });
      await new Promise<void>((resolve, reject) => {
        agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve());
        agent.once('exit', (code) => reject(new Error(`the agent exited with ${code}: ${stderr}`)));
      });
      return agent;
    },
    agent() {
      const stateDir = join(dir, '.slipway', 'agent');
      const info = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8'));
      return createAgentClient({
        url: info.url,
        token: readFileSync(join(stateDir, 'agent.token'), 'utf8').trim(),
      });
    },
    async release(version, faults) {
      const src = join(dir, 'builds', version);
      cpSync(join(root, 'examples/shop/app'), src, { recursive: true });
      writeFileSync(join(src, 'VERSION'), `${version}\n`);
      if (faults) writeFileSync(join(src, 'faults.json'), JSON.stringify(faults));
      await p.must(['release', 'create', '--version', version, '--ci', 'passed', src]);
    },
    async close() {
      try {
        const agent = p.agent();
        for (const env of await agent.statusAll().catch(() => []))
          await agent.deleteEnv(env.env).catch(() => {});
      } catch {
        // no agent state: nothing to remove
      }
      for (const child of children) {
        const gone = once(child, 'exit');
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return p;
}
