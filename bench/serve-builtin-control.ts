/**
 * The built-in router in its own process, driven over stdin with one JSON command per line
 * ({"op":"apply","state":...} | {"op":"weights","env":...,"weights":...}); it answers each with
 * "ok" or "err <message>". Lets the cutover benchmark keep router and load generator apart.
 */
import { createInterface } from 'node:readline';
import { BuiltinRouter } from '../src/traffic/builtin/router.ts';

const router = new BuiltinRouter();
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  try {
    const cmd = JSON.parse(line);
    if (cmd.op === 'apply') await router.apply(cmd.state);
    else if (cmd.op === 'weights') await router.setWeights(cmd.env, cmd.weights);
    process.stdout.write('ok\n');
  } catch (err) {
    process.stdout.write(`err ${(err as Error).message}\n`);
  }
}
await router.close();
