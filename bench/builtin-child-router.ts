/**
 * The builtin router in a child process (bench/builtin-child.ts) behind the TrafficRouter
 * contract's methods, so the benchmarks drive every driver the same way.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TrafficRouter } from '../src/traffic/contract.ts';

const here = new URL('.', import.meta.url).pathname;

/** The builtin router in a child process (bench/builtin-child.ts), behind the contract's methods. */
export function builtinChild(): TrafficRouter {
  let child: ReturnType<typeof spawn> | undefined;
  let lines: ReturnType<typeof createInterface> | undefined;
  const next = () => once(lines!, 'line').then(([l]) => String(l));
  return {
    name: 'builtin',
    capabilities: { stickiness: true, preview: true, metrics: true, websockets: true },
    async apply(state) {
      if (child && child.exitCode === null) {
        const done = next();
        child.stdin!.write(`${JSON.stringify({ state })}\n`);
        await done;
        return;
      }
      child = spawn(
        process.execPath,
        ['--disable-warning=ExperimentalWarning', `${here}builtin-child.ts`, JSON.stringify(state)],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      lines = createInterface({ input: child.stdout! });
      await next();
    },
    async setWeights(_env, weights) {
      const done = next();
      child!.stdin!.write(`${JSON.stringify({ weights })}\n`);
      await done;
    },
    async remove() {
      if (!child || child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.stdin!.end();
      await gone;
    },
    async close() {
      await this.remove('');
    },
  };
}
