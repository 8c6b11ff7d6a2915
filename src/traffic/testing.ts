/**
 * Test helpers for traffic drivers: a tiny real HTTP backend (in this process or as a child
 * process that a test can SIGKILL), a free-port finder and a bounded load loop.
 *
 * The backend answers every path with its name in the body and an `x-backend` header, and:
 * - `/health` → `healthStatus` (changeable with `setHealth`),
 * - `/headers` → the request headers it received, as JSON,
 * - `/slow?ms=N` → answers after N ms, `/status/N` → answers with status N,
 * - a WebSocket upgrade → sends `hello from <name>` and echoes every text frame it gets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Backend } from './contract.ts';

export interface TestBackend {
  readonly name: string;
  readonly port: number;
  readonly backend: Backend;
  setHealth(status: number): void;
  /** Emits `request` with the path of every request the backend receives (in-process backends only). */
  readonly events: EventEmitter;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One unmasked text frame (server → client), payload < 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** Decodes masked client frames with payloads < 126 bytes (all the tests send); null marks a close frame. */
function decodeFrames(buf: Buffer): (string | null)[] {
  const out: (string | null)[] = [];
  let at = 0;
  while (at + 6 <= buf.length) {
    const len = (buf[at + 1] ?? 0) & 0x7f;
    const mask = buf.subarray(at + 2, at + 6);
    const data = Buffer.from(buf.subarray(at + 6, at + 6 + len));
    for (let i = 0; i < data.length; i++) data[i] = (data[i] ?? 0) ^ (mask[i % 4] ?? 0);
    const opcode = (buf[at] ?? 0) & 0x0f;
    if (opcode === 1) out.push(data.toString());
    if (opcode === 8) out.push(null);
    at += 6 + len;
  }
  return out;
}

/** Upgraded sockets per server: closeAllConnections() does not see them. */
const tunnelsOf = new WeakMap<Server, Set<Duplex>>();

export function createBackendServer(name: string, state = { health: 200 }, events?: EventEmitter): Server {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    events?.emit('request', url);
    const headers = { 'content-type': 'text/plain', 'x-backend': name };
    if (url === '/health') {
      res.writeHead(state.health, headers).end(`${name} ${state.health}\n`);
    } else if (url === '/headers') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
    } else if (url.startsWith('/status/')) {
      res.writeHead(Number(url.slice(8)) || 500, headers).end(name);
    } else if (url.startsWith('/slow')) {
      const ms = Number(new URL(url, 'http://x').searchParams.get('ms') ?? 200);
      setTimeout(() => res.writeHead(200, headers).end(name), ms);
    } else {
      req.resume();
      req.on('end', () => res.writeHead(200, headers).end(name));
    }
  });
  server.keepAliveTimeout = 30_000;
  const tunnels = new Set<Duplex>();
  tunnelsOf.set(server, tunnels);
  server.on('upgrade', (req, socket) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nx-backend: ${name}\r\n\r\n`,
    );
    socket.write(textFrame(`hello from ${name}`));
    socket.on('data', (chunk: Buffer) => {
      for (const text of decodeFrames(chunk)) {
        if (text === null) socket.end(Buffer.from([0x88, 0]));
        else socket.write(textFrame(`echo ${text}`));
      }
    });
    socket.on('error', () => socket.destroy());
  });
  return server;
}

/** A backend served by this process. */
export async function startBackend(name: string, options: { health?: number } = {}): Promise<TestBackend> {
  const state = { health: options.health ?? 200 };
  const events = new EventEmitter();
  const server = createBackendServer(name, state, events);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    backend: { id: name, host: '127.0.0.1', port },
    events,
    setHealth: (status) => {
      state.health = status;
    },
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      for (const socket of tunnelsOf.get(server) ?? []) socket.destroy();
      await closed;
    },
  };
}

export interface ChildBackend extends TestBackend {
  readonly child: ChildProcess;
  /** SIGKILL the backend process and wait for it to be gone. */
  kill(): Promise<void>;
}

/** A backend in its own process, so a test can kill it with SIGKILL. */
export async function spawnBackend(name: string): Promise<ChildBackend> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), 'serve', name],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  const port = Number(line);
  const gone = once(child, 'exit');
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await gone;
  };
  return {
    name,
    port,
    child,
    backend: { id: name, host: '127.0.0.1', port },
    events: new EventEmitter(),
    setHealth: () => {
      throw new Error('setHealth is not supported on a child backend');
    },
    close: kill,
    kill,
  };
}

/**
 * A port that was free a moment ago, for proxies that must be told their port (HAProxy, nginx).
 * It is drawn at random below the kernel's ephemeral range (32768+), so a server that another
 * suite binds to port 0 in the meantime cannot take it; only another random draw could.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

export interface LoadResult {
  readonly byBackend: Map<string, number>;
  readonly failed: number;
  readonly statuses: Map<number, number>;
  /** Error codes of the failed requests that threw (no HTTP answer). */
  readonly errors: Map<string, number>;
}

function errorCode(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as { name?: string }).name ?? 'error';
}

/**
 * Sends `count` GET requests with `concurrency` in flight and counts answers by `x-backend`.
 * `headersFor(i)` adds headers to request i. Each request has its own timeout, so it always ends.
 */
export async function load(
  url: string,
  count: number,
  options: {
    concurrency?: number;
    headersFor?: (i: number) => Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<LoadResult> {
  const byBackend = new Map<string, number>();
  const statuses = new Map<number, number>();
  const errors = new Map<string, number>();
  let failed = 0;
  let next = 0;
  const send = (headers: Record<string, string>) =>
    fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        const res = await send(options.headersFor?.(i) ?? {});
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) failed++;
        const backend = res.headers.get('x-backend') ?? '(none)';
        byBackend.set(backend, (byBackend.get(backend) ?? 0) + 1);
      } catch (err) {
        failed++;
        const code = errorCode(err);
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return { byBackend, failed, statuses, errors };
}

// `node testing.ts serve <name>`: run one backend and print its port (used by spawnBackend).
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') {
  const server = createBackendServer(process.argv[3] ?? 'child');
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
}
