/**
 * Benchmark plumbing: run `wrk` against a URL and parse its report, read the CPU time of a
 * process tree from /proc, spawn a helper process that prints one line when ready.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export function wrk(url: string, seconds: number, connections: number): WrkResult {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const errors = [...out.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce(
    (n, m) => n + Number(m[2]),
    0,
  );
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50Ms: toMs(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99Ms: toMs(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    errors: errors + num(/Non-2xx or 3xx responses: (\d+)/) || errors,
  };
}

const TICK_S = 1 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time (seconds) of `pid` and all its live descendants, in user space and in the kernel. */
export function treeCpu(pid: number): { user: number; sys: number } {
  const parent = new Map<number, number>();
  const ticks = new Map<number, [number, number]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state ppid ... utime(14) stime(15).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      ticks.set(Number(name), [Number(f[11]), Number(f[12])]);
    } catch {
      // the process ended while we read
    }
  }
  let user = 0;
  let sys = 0;
  for (const [p, [u, s]] of ticks) {
    let q: number | undefined = p;
    while (q !== undefined && q > 1 && q !== pid) q = parent.get(q);
    if (q === pid) {
      user += u;
      sys += s;
    }
  }
  return { user: user * TICK_S, sys: sys * TICK_S };
}

/** utime + stime (seconds) of `pid` and all its live descendants. */
export function treeCpuSeconds(pid: number): number {
  const { user, sys } = treeCpu(pid);
  return user + sys;
}

/** Spawns `node <args>` and resolves with the child and its first stdout line. */
export async function spawnReady(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  lines.close();
  child.stdout!.resume();
  return { child, line };
}
