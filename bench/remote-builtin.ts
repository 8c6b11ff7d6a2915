/** A TrafficRouter that drives serve-builtin-control.ts in a child process (benchmarks only). */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import type { RouterCapabilities, RouteState, TrafficRouter } from '../src/traffic/contract.ts';

export class RemoteBuiltinRouter implements TrafficRouter {
  readonly name = 'builtin';
  readonly capabilities: RouterCapabilities = {
    stickiness: true,
    preview: true,
    metrics: false,
    websockets: true,
  };
  private readonly child: ChildProcess;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor() {
    const script = new URL('./serve-builtin-control.ts', import.meta.url).pathname;
    this.child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout! });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  private async send(cmd: object): Promise<void> {
    const answer = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    const line = await answer;
    if (line !== 'ok') throw new Error(line);
  }

  apply(state: RouteState): Promise<void> {
    return this.send({ op: 'apply', state });
  }

  setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    return this.send({ op: 'weights', env, weights });
  }

  async remove(): Promise<void> {}

  async close(): Promise<void> {
    const gone = once(this.child, 'exit');
    this.child.stdin!.end();
    await gone;
  }
}
