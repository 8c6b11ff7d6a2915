/** Test receivers for the notifiers: an HTTP server on 127.0.0.1 whose answers a test steers. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Received, ReceiverMode } from './contract.case.test.ts';

export interface HttpReceiver {
  readonly url: string;
  readonly received: Received[];
  mode: ReceiverMode;
  requests: number;
  close(): Promise<void>;
}

export function readBody(req: IncomingMessage, max = 1 << 20): Promise<string | null> {
  return new Promise((resolve) => {
    let text = '';
    let size = 0;
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      size += Buffer.byteLength(c);
      if (size <= max) text += c;
    });
    req.on('end', () => resolve(size > max ? null : text));
  });
}

/**
 * `accept(req, body)` answers an accepted request: a status and text, plus what to record (or
 * undefined for a refused one). The mode decides first: error → 500, slow → no answer,
 * too-large → 413.
 */
export async function httpReceiver(
  accept: (
    req: IncomingMessage,
    body: string,
  ) =>
    | { status: number; text: string; record?: Received }
    | Promise<{ status: number; text: string; record?: Received }>,
): Promise<HttpReceiver> {
  const r = { received: [] as Received[], mode: 'ok' as ReceiverMode, requests: 0 };
  const server = createServer(async (req, res: ServerResponse) => {
    r.requests++;
    const body = await readBody(req);
    if (r.mode === 'slow') return;
    if (r.mode === 'error') return void res.writeHead(500).end('rollup_error');
    if (r.mode === 'too-large' || body === null) return void res.writeHead(413).end('request_too_large');
    const answer = await accept(req, body);
    if (answer.record) r.received.push(answer.record);
    res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return Object.assign(r, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  });
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}
