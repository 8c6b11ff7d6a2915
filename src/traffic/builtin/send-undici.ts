/**
 * Bodyless requests (the bulk: GET, HEAD, DELETE...) go upstream through an undici Pool: its
 * dispatcher streams the response into the client's ServerResponse with no intermediate
 * streams, measured at about 40% less CPU per request than a node:http Agent (bench/README).
 */
import type { Dispatcher } from 'undici';
import type { Send } from './attempt.ts';
import { responseHeaders } from './headers.ts';

/** Errors that mean no connection was made: nothing reached the backend. */
const CONNECT_FAILED = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

export const sendWithUndici: Send = (ctx, slot, backend, failed) => {
  const { res } = ctx;
  let responded = false;
  let controller: Dispatcher.DispatchController | undefined;
  let status = 0;
  ctx.cancel = () => controller?.abort(new Error('client went away'));
  const onDrain = () => controller?.resume();
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
    },
    onResponseStart(c, statusCode, _headers, statusMessage) {
      if (statusCode < 200) return; // 1xx informational: wait for the final answer
      responded = true;
      status = statusCode;
      const raw = (c.rawHeaders ?? []) as (string | Buffer)[];
      res.writeHead(statusCode, statusMessage ?? '', responseHeaders(raw, ctx.requestId));
    },
    onResponseData(c, chunk) {
      if (!res.write(chunk)) {
        c.pause();
        res.once('drain', onDrain);
      }
    },
    onResponseEnd() {
      res.end();
      slot.window.recordResponse(status, performance.now() - ctx.started);
      backend.release();
    },
    onResponseError(_c, err) {
      backend.release();
      if (ctx.clientGone) return;
      if (responded) {
        slot.window.recordFailure();
        res.destroy();
        return;
      }
      failed(CONNECT_FAILED.has((err as { code?: string }).code ?? ''));
    },
  };
  backend.pool.dispatch(
    {
      origin: backend.origin,
      path: ctx.req.url ?? '/',
      method: (ctx.req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: ctx.headers,
      body: null,
    },
    handler,
  );
};
