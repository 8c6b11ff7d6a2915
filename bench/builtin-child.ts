/**
 * The built-in router in its own process, driven over stdin, so that a benchmark's load
 * generator does not share its event loop (in production the router runs in `slipway agent`,
 * apart from clients). Usage: node bench/builtin-child.ts '<RouteState JSON>'; prints "ready";
 * then each stdin line `{"weights":{...}}` is applied with setWeights(), `{"state":{...}}` with
 * apply(), and answered "done".
 * Exits on stdin end or SIGTERM.
 */
import { createInterface } from 'node:readline';
import { BuiltinRouter } from '../src/traffic/builtin/router.ts';
import type { RouteState } from '../src/traffic/contract.ts';

const state = JSON.parse(String(process.argv[2])) as RouteState;
const router = new BuiltinRouter();
await router.apply(state);
process.stdout.write('ready\n');
const stop = () => void router.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as { weights?: Record<string, number>; state?: RouteState };
  const done = command.state ? router.apply(command.state) : router.setWeights(state.env, command.weights!);
  void done.then(() => process.stdout.write('done\n'));
});
lines.on('close', stop);
