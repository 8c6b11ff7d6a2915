/**
 * The receivers of bench/notify-fanout.ts, as their own process: SUBSCRIBERS webhook endpoints on
 * 127.0.0.1, each verifying every request with the Standard Webhooks reference library and keeping
 * the webhook ids it accepted (a repeat of an accepted id is answered 200 and counted as a
 * duplicate, as an idempotent receiver does). The first FAILING of them answer 500 to half of the
 * requests (at random). Prints `{"ports":[…]}` once listening; on SIGUSR2 prints the tallies.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 20);
const FAILING = Number(process.env.FAILING ?? 2);
const wh = new Webhook(process.env.SECRET as string);

interface Tally {
  accepted: Set<string>;
  duplicates: number;
  failed: number;
  refused: number;
}
const tallies: Tally[] = [];
const ports: number[] = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  const t: Tally = { accepted: new Set(), duplicates: 0, failed: 0, refused: 0 };
  tallies.push(t);
  const failing = i < FAILING;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (failing && Math.random() < 0.5) {
        t.failed++;
        return void res.writeHead(500).end();
      }
      try {
        wh.verify(body, req.headers as Record<string, string>);
      } catch {
        t.refused++;
        return void res.writeHead(401).end();
      }
      const id = req.headers['webhook-id'] as string;
      if (t.accepted.has(id)) t.duplicates++;
      else t.accepted.add(id);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  ports.push((server.address() as AddressInfo).port);
}
process.on('SIGUSR2', () => {
  process.stdout.write(
    `${JSON.stringify({
      tallies: tallies.map((t) => ({
        accepted: t.accepted.size,
        duplicates: t.duplicates,
        failed: t.failed,
        refused: t.refused,
      })),
    })}\n`,
  );
});
process.stdout.write(`${JSON.stringify({ ports })}\n`);
