/**
 * Requests with a body go upstream through node:http, whose ClientRequest tells exactly when the
 * connection is up: the body is streamed only then, so a refused connection consumed nothing
 * and the request can go to another backend.
 */
import { request } from 'node:http';
import type { Send } from './attempt.ts';
import { responseHeaders } from './headers.ts';

export const sendWithNode: Send = (ctx, slot, backend) => {
  const { req, res } = ctx;
  let connected = false;
  let responded = false;
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    backend.release();
  };
  const up = request({
    host: backend.host,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers: ctx.headers,
    agent: backend.agent,
    setHost: false,
  });
  ctx.call = { cancel: () => up.destroy() };
  const onConnected = () => {
    connected = true;
    if (ctx.body) req.pipe(up);
    else up.end();
  };
  up.on('socket', (socket) => {
    if (socket.connecting) socket.once('connect', onConnected);
    else onConnected();
  });
  up.on('response', (upRes) => {
    responded = true;
    const status = upRes.statusCode ?? 502;
    res.writeHead(status, upRes.statusMessage, responseHeaders(upRes.rawHeaders, ctx.requestId));
    upRes.pipe(res);
    upRes.on('end', () => {
      slot.window.recordResponse(status, performance.now() - ctx.started);
      done();
    });
    upRes.on('error', () => {
      slot.window.recordFailure();
      res.destroy();
      done();
    });
  });
  up.on('error', () => {
    done();
    if (ctx.clientGone) return;
    if (responded) {
      res.destroy();
      return;
    }
    ctx.failed(ctx, slot, backend, !connected);
  });
};
