/**
 * A tiny real HTTP proxy that implements the TrafficRouter contract just enough for the agent's
 * tests to send real requests through a switch: weighted choice of release, round robin over its
 * backends, no health checks, no stickiness, no metrics. Tests only; the product router is
 * src/traffic/builtin/. It passes the traffic contract for what it does (tiny-proxy.test.ts).
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterCapabilities, RouteState, TrafficRouter } from '../traffic/contract.ts';
import { validateRouteState, withWeights } from '../traffic/validate.ts';

interface Listener {
  server: Server;
  state: RouteState;
  turn: number;
}

export class TinyProxyRouter implements TrafficRouter {
  readonly name = 'tiny-proxy';
  readonly capabilities: RouterCapabilities = {
    stickiness: false,
    preview: false,
    metrics: false,
    websockets: false,
  };
  private readonly listeners = new Map<string, Listener>();

  async apply(state: RouteState): Promise<void> {
    validateRouteState(state);
    const existing = this.listeners.get(state.env);
    if (existing !== undefined) {
      existing.state = state;
      return;
    }
    const listener: Listener = { server: createServer(), state, turn: 0 };
    listener.server.on('request', (req, res) => {
      const backend = this.pick(listener);
      if (backend === undefined) {
        res.writeHead(503).end('no backend');
        return;
      }
      const upstream = request(
        {
          host: backend.host,
          port: backend.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
          agent: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end('upstream failed');
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) =>
      listener.server.listen(state.listen.port, state.listen.host, resolve),
    );
    this.listeners.set(state.env, listener);
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    const listener = this.listeners.get(env);
    // The contract's checks (unknown env or release, weights not adding up to 100).
    const releases = withWeights(listener?.state, env, weights);
    listener!.state = { ...listener!.state, releases };
  }

  async remove(env: string): Promise<void> {
    const listener = this.listeners.get(env);
    this.listeners.delete(env);
    if (listener !== undefined) await closeServer(listener.server);
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((env) => this.remove(env)));
  }

  /** The port the environment's listener got (its RouteState may ask for port 0). */
  port(env: string): number {
    return (this.listeners.get(env)!.server.address() as AddressInfo).port;
  }

  private pick(listener: Listener) {
    const releases = listener.state.releases.filter((r) => r.weight > 0 && r.backends.length > 0);
    const total = releases.reduce((sum, r) => sum + r.weight, 0);
    const roll = Math.random() * total;
    let sum = 0;
    const release =
      releases.find((r) => {
        sum += r.weight;
        return roll < sum;
      }) ?? releases.at(-1);
    if (release === undefined) return undefined;
    listener.turn++;
    return release.backends[listener.turn % release.backends.length];
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
