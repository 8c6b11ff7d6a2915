/**
 * Test hosts made of Linux network namespaces: a control namespace holding a bridge (the only
 * place the private /24 exists), and one namespace per host with a veth on that bridge and its
 * own OpenSSH server (Debian openssh-server) with a generated host key. Everything created is
 * listed and removed by `destroy()`, also after a failure: every process left in a namespace is
 * killed, then the namespaces are deleted.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** Why these tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0)
    return '`ip netns` is not available';
  if (!existsSync(SSHD)) return 'sshd is missing (apt-get install openssh-server)';
  if (spawnSync('sh', ['-c', 'command -v haproxy'], { stdio: 'ignore' }).status !== 0)
    return 'haproxy is missing';
  return undefined;
}

export interface NsHost {
  readonly ns: string;
  readonly address: string;
}

export interface NsLab {
  readonly control: string;
  readonly hosts: readonly NsHost[];
  /** Cuts host `index` (0-based) off the network: its link on the bridge goes down (packets vanish, nothing is refused). */
  linkDown(index: number): void;
  /** Puts host `index` (0-based) back on the network after `linkDown`. */
  linkUp(index: number): void;
  /** Stops the sshd of host `index` (0-based): the host stays, SSH to it is refused. */
  stopSshd(index: number): void;
  /** Runs argv inside a namespace (as a child process of this one). */
  inNs(ns: string, argv: readonly string[], options?: { cwd?: string }): ChildProcess;
  destroy(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Builds the namespaces and starts one sshd per host, trusting `authorizedKeys` for root. */
export async function createLab(
  dir: string,
  count: number,
  authorizedKeys: string,
  options: {
    /** Namespace name prefix (test files running at once use different ones); default swf. */
    prefix?: string;
    /** More sshd_config lines for host `index` (0-based). */
    sshd?: (index: number) => readonly string[];
  } = {},
): Promise<NsLab> {
  const id = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  const prefix = options.prefix ?? 'swf';
  const control = `${prefix}-${id}-c`;
  const hosts: NsHost[] = [];
  const made: string[] = [];
  const children: ChildProcess[] = [];
  const sshds: ChildProcess[] = [];
  const inNs: NsLab['inNs'] = (ns, argv, options = {}) =>
    spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const destroy = () => {
    for (const child of children) child.kill('SIGKILL');
    for (const ns of made) {
      // Whatever still runs inside (agents, instances, the load balancer) ends with its namespace.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  };
  try {
    ip('netns', 'add', control);
    made.push(control);
    ip('-n', control, 'link', 'set', 'lo', 'up');
    ip('-n', control, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', control, 'addr', 'add', '10.77.0.1/24', 'dev', 'br0');
    ip('-n', control, 'link', 'set', 'br0', 'up');
    writeFileSync(join(dir, 'authorized_keys'), authorizedKeys, { mode: 0o600 });
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation folder
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}-${id}-h${i}`;
      const address = `10.77.0.${10 + i}`;
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip(
        'link',
        'add',
        'name',
        `swc${id}${i}`.slice(0, 15),
        'netns',
        control,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      );
      ip('-n', control, 'link', 'set', `swc${id}${i}`.slice(0, 15), 'master', 'br0', 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      const home = join(dir, `sshd-h${i}`);
      mkdirSync(home, { recursive: true });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, 'host_key')]);
      const config = join(home, 'sshd_config');
      writeFileSync(
        config,
        [
          `ListenAddress ${address}`,
          'Port 22',
          `HostKey ${join(home, 'host_key')}`,
          `PidFile ${join(home, 'sshd.pid')}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'AllowTcpForwarding yes',
          ...(options.sshd?.(i - 1) ?? []),
          '',
        ].join('\n'),
      );
      const sshd = inNs(ns, [SSHD, '-D', '-e', '-f', config]);
      children.push(sshd);
      sshds.push(sshd);
      await new Promise<void>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`sshd in ${ns} did not start: ${err}`)), 10_000);
        sshd.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
          if (/Server listening/.test(err)) {
            clearTimeout(timer);
            resolve();
          }
        });
        sshd.on('exit', (code) => reject(new Error(`sshd in ${ns} exited ${code}: ${err}`)));
      });
      hosts.push({ ns, address });
    }
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    control,
    hosts,
    inNs,
    destroy,
    stopSshd: (index) => sshds[index]?.kill('SIGTERM'),
    linkDown: (index) => ip('-n', control, 'link', 'set', `swc${id}${index + 1}`.slice(0, 15), 'down'),
    linkUp: (index) => ip('-n', control, 'link', 'set', `swc${id}${index + 1}`.slice(0, 15), 'up'),
  };
}

/** Runs argv in a namespace to its end: exit code and output. */
export function runInNs(
  lab: NsLab,
  ns: string,
  argv: readonly string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = lab.inNs(ns, argv, cwd === undefined ? {} : { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b));
    child.stderr?.on('data', (b: Buffer) => (stderr += b));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Keep-alive HTTP through the load balancer (4 clients, 5 s timeout per request, no retry) until
 * SIGTERM, or 4 requests with `once`; prints what it saw (and the slowest answer) as one JSON line. Run with node inside a
 * namespace: `node load.mjs PORT once|run`.
 */
export const LOAD_SCRIPT = `
import http from 'node:http';
const port = Number(process.argv[2]);
const once = process.argv[3] === 'once';
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let ok = 0, failed = 0, stop = false, slowestMs = 0;
const versions = {}, errors = [];
process.on('SIGTERM', () => { stop = true; });
const one = () => new Promise((resolve) => {
  const started = performance.now();
  const done = () => { slowestMs = Math.max(slowestMs, Math.round(performance.now() - started)); resolve(); };
  const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) { ok++; const v = res.headers['x-shop-version']; versions[v] = (versions[v] ?? 0) + 1; }
      else { failed++; errors.push('status ' + res.statusCode); }
      done();
    });
  });
  req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => { failed++; errors.push(e.message); done(); });
});
// A gap between requests: a few hundred a second find a failed switch, and a loop without one
// took the CPU the hosts' agents and HAProxy needed.
const gap = () => new Promise((resolve) => setTimeout(resolve, 5));
const worker = async () => { do { await one(); if (!once) await gap(); } while (!stop && !once); };
await Promise.all([worker(), worker(), worker(), worker()]);
console.log(JSON.stringify({ ok, failed, slowestMs, versions, errors: errors.slice(0, 10) }));
process.exit(0);
`;
