/**
 * The built-in router in its own process for the benchmarks, so its CPU time can be read from
 * /proc. Usage: node bench/serve-builtin.ts <listenPort> <backendPort>[,<backendPort>...]
 * Prints "ready" when it accepts requests; stops on SIGTERM.
 */
import { BuiltinRouter } from '../src/traffic/builtin/router.ts';

const [listen, backends] = [Number(process.argv[2]), String(process.argv[3] ?? '')];
const router = new BuiltinRouter();
await router.apply({
  env: 'bench',
  listen: { host: '127.0.0.1', port: listen },
  releases: [
    {
      release: 'v1',
      weight: 100,
      backends: backends.split(',').map((p, i) => ({ id: `b${i}`, host: '127.0.0.1', port: Number(p) })),
    },
  ],
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void router.close().then(() => process.exit(0));
});
