/**
 * A lean closed-loop load for measuring switch times: `concurrency` kept-alive TCP connections,
 * each sending `GET /` and reading the answer (Content-Length framing only) before the next, with
 * one record per request (when it ended, which side answered, status or error), like
 * stream-load.ts but without fetch's per-request machinery in the measuring process, so the time
 * at which an answer is recorded is the time it arrived. No retries: a connection closed under a
 * request is a failure (the worker then opens a new connection). Bounded by `maxRequests`.
 */
import { connect, type Socket } from 'node:net';
import type { Sample, StreamLoad } from './stream-load.ts';

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nhost: bench\r\n\r\n', 'latin1');

export function rawLoad(
  port: number,
  options: { concurrency?: number; maxRequests?: number; timeoutMs?: number; header?: string } = {},
): StreamLoad {
  const samples: Sample[] = [];
  const header = `\r\n${options.header ?? 'x-backend'}:`;
  const max = options.maxRequests ?? 500_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let stopped = false;
  let sent = 0;

  const worker = () =>
    new Promise<void>((done) => {
      let socket: Socket;
      let buf: Buffer = Buffer.alloc(0);
      let start = 0;
      let busy = false;
      const fail = (error: string) => {
        if (busy) samples.push({ start, end: performance.now(), side: '', status: 0, error });
        busy = false;
        socket.destroy();
        open();
      };
      const send = () => {
        if (stopped || sent >= max) {
          socket.end();
          done();
          return;
        }
        sent++;
        busy = true;
        start = performance.now();
        socket.write(REQUEST);
      };
      const open = () => {
        if (stopped || sent >= max) {
          done();
          return;
        }
        buf = Buffer.alloc(0);
        socket = connect({ port, host: '127.0.0.1', noDelay: true });
        socket.setTimeout(timeoutMs);
        socket.on('connect', send);
        socket.on('timeout', () => fail('timeout'));
        socket.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'error'));
        socket.on('end', () => fail('closed'));
        socket.on('data', (chunk: Buffer) => {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          const headEnd = buf.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const head = buf.toString('latin1', 0, headEnd).toLowerCase();
          const length = Number(/\r\ncontent-length:\s*(\d+)/.exec(head)?.[1] ?? 0);
          if (buf.length < headEnd + 4 + length) return;
          const at = head.indexOf(header);
          const side = at < 0 ? '' : head.slice(at + header.length, head.indexOf('\r\n', at + 2)).trim();
          samples.push({ start, end: performance.now(), side, status: Number(head.slice(9, 12)) });
          busy = false;
          buf = buf.subarray(headEnd + 4 + length);
          send();
        });
      };
      open();
    });

  const running = Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return {
    samples,
    async stop() {
      stopped = true;
      await running;
      return samples;
    },
  };
}
