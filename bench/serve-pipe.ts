/**
 * Reference point for the benchmark: Node's floor for a proxy. Each client connection gets its own
 * connection to the backend and bytes are copied both ways as they arrive: no HTTP parsing, no
 * routing, no metrics, no pooling. Not a usable proxy (no framing, so no keep-alive across
 * backends or retries); it shows what the two reads and two writes per request cost in Node alone.
 * Usage: node bench/serve-pipe.ts <listenPort> <backendPort>
 */
import { connect, createServer } from 'node:net';

const [listen, backend] = [Number(process.argv[2]), Number(process.argv[3])];
createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: backend, noDelay: true });
  client.on('data', (bytes) => upstream.write(bytes));
  upstream.on('data', (bytes) => client.write(bytes));
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => {});
  upstream.on('error', () => {});
}).listen(listen, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
