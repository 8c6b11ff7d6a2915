/**
 * WebSocket and other upgrades through the built-in router: the upgrade request goes to the
 * backend on its own connection; a 101 answer turns the two sockets into one pipe.
 */
import { type IncomingMessage, request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EnvRoute } from './env-route.ts';
import { forwardHeaders, responseHeaders } from './headers.ts';

/** WebSocket and other upgrades: a 101 from the backend turns the two sockets into one pipe. */
export function proxyUpgrade(route: EnvRoute, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const pick = route.pick(req, null);
  if (!pick) {
    socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`);
    return;
  }
  const { backend, slot } = pick;
  const { headers, requestId } = forwardHeaders(req, true);
  backend.acquire();
  const started = performance.now();
  const up = request({
    host: backend.host,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
    setHost: false,
  });
  const head101 = (status: number, message: string | undefined, raw: string[]) => {
    let text = `HTTP/1.1 ${status} ${message ?? ''}\r\n`;
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    return `${text}\r\n`;
  };
  up.on('upgrade', (upRes, upSocket, upHead) => {
    slot.window.recordResponse(upRes.statusCode ?? 101, performance.now() - started);
    socket.write(head101(upRes.statusCode ?? 101, upRes.statusMessage, upRes.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.pipe(socket).pipe(upSocket);
    route.tunnels.add(socket);
    const end = () => {
      socket.destroy();
      upSocket.destroy();
    };
    upSocket.on('error', end).on('close', end);
    socket.on('close', () => {
      route.tunnels.delete(socket);
      end();
      backend.release();
    });
  });
  up.on('response', (upRes) => {
    slot.window.recordResponse(upRes.statusCode ?? 502, performance.now() - started);
    const raw = responseHeaders(upRes.rawHeaders, requestId);
    socket.write(head101(upRes.statusCode ?? 502, upRes.statusMessage, [...raw, 'connection', 'close']));
    upRes.pipe(socket);
    upRes.on('end', () => backend.release());
  });
  up.on('error', () => {
    slot.window.recordFailure();
    backend.release();
    if (!connectedOrDestroyed(socket)) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
  });
  up.end();
}

function connectedOrDestroyed(socket: Duplex): boolean {
  return socket.destroyed || !socket.writable;
}
