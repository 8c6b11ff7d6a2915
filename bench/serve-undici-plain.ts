/**
 * Reference point for the benchmark: the plainest possible proxy (node:http server, undici Pool
 * dispatcher, no routing, no metrics, no retries). Shows what the built-in router's features cost.
 * Usage: node bench/serve-undici-plain.ts <listenPort> <backendPort>
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [listen, backend] = [Number(process.argv[2]), Number(process.argv[3])];
const pool = new Pool(`http://127.0.0.1:${backend}`, {
  connections: 256,
  pipelining: 1,
  keepAliveTimeout: 4000,
});
createServer((req, res) => {
  pool.dispatch({ path: req.url!, method: req.method as 'GET', headers: req.rawHeaders, body: null }, {
    onConnect() {},
    onHeaders(status: number, raw: Buffer[], _resume: () => void, msg: string) {
      const h: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i]!.toString('latin1');
        const lk = k.toLowerCase();
        if (lk === 'connection' || lk === 'keep-alive' || lk === 'transfer-encoding') continue;
        h.push(k, raw[i + 1]!.toString('latin1'));
      }
      res.writeHead(status, msg, h);
      return true;
    },
    onData(chunk: Buffer) {
      res.write(chunk);
      return true;
    },
    onComplete() {
      res.end();
    },
    onError() {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    },
  } as never);
}).listen(listen, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
