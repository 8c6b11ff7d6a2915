/**
 * nginx's per-request choice of release and backend, run by njs (`js_set $slipway_upstream
 * slipway.upstream`, and `slipway.retry` after a failed try). Plain JavaScript that both njs 0.7
 * and Node run (no destructuring, no for…of), so the tests check the same code nginx runs.
 *
 * Everything that changes with a deployment lives in a small JSON file (`$slipway_routes`) that
 * the driver replaces atomically (temp file + rename): weights, releases, their backends and their
 * health. A new release, a weight change or a backend going down is a file write, not an nginx
 * reload, so no client connection is closed. njs 0.7 starts every request from a fresh copy of its
 * VM (no global survives a request), so the file is read on every request; it is a few hundred bytes.
 *
 * Routes file: { names: string[], weights: number[], eligible: boolean[], backends: string[][],
 * user: string | null, preview: string | null }, releases oldest first; `backends[i]` the healthy
 * backends of release i as `host:port` (IPv6 in brackets), `eligible[i]` false when it has none;
 * `user` the nginx variable holding the sticky user id (`http_x_user_id`, `cookie_uid`); `preview`
 * the variable of the preview header. The answer is a backend address, which nginx proxies to
 * directly, or `slipway_none` (an upstream that answers 502) when no eligible release has weight.
 */
// biome-ignore lint/style/useNodejsImportProtocol: njs knows the module as 'fs' only
import fs from 'fs';

/** FNV-1a of the id with a final avalanche, into [0,100): the builtin router's stickyPoint (split.ts). */
function stickyPoint(id) {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return ((h >>> 0) % 10000) / 100;
}

/**
 * A point in [0,100) for a request without a user id: the golden-ratio (Weyl) sequence over the
 * connection's serial number plus its request count. Without shared state between requests this
 * is as even as a round-robin: on one kept-alive connection, and across one-request connections,
 * any run of n requests lands within a request or two of the weights.
 */
function splitPoint(connection, requests) {
  const x = (connection + requests) * 0.6180339887498949;
  return (x - Math.floor(x)) * 100;
}

/**
 * Index of the release for `point`, or -1. Walks from the newest release down over cumulative
 * weights, so a sticky user below the new release's weight stays on it while that weight grows.
 * Sticky users whose release has no healthy backend, and requests without a user, take the
 * split among eligible releases only (as the builtin router does).
 */
function pick(routes, userPoint, point) {
  const w = routes.weights;
  const ok = routes.eligible;
  let cumulative = 0;
  if (userPoint !== null) {
    for (let i = w.length - 1; i >= 0; i--) {
      if (!(w[i] > 0)) continue;
      cumulative += w[i];
      if (userPoint < cumulative) {
        if (ok[i]) return i;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < w.length; i++) if (w[i] > 0 && ok[i]) total += w[i];
  const at = (point / 100) * total;
  cumulative = 0;
  for (let i = w.length - 1; i >= 0; i--) {
    if (!(w[i] > 0 && ok[i])) continue;
    cumulative += w[i];
    if (at < cumulative) return i;
  }
  return -1;
}

/** The sticky user id of the request, or null; a cookie is URL-decoded as the builtin router does. */
function userOf(r, name) {
  if (!name) return null;
  const raw = r.variables[name];
  if (!raw) return null;
  if (name.indexOf('cookie_') !== 0) return raw;
  try {
    return decodeURIComponent(raw);
  } catch (_e) {
    return raw;
  }
}

/**
 * A backend of release `i` for the request: a second Weyl sequence (√2−1) over the same counters,
 * so consecutive requests on one connection, or one-request connections, take the backends in turn.
 */
function backendOf(routes, i, connection, requests) {
  const list = routes.backends[i] || [];
  if (list.length === 0) return 'slipway_none';
  const x = (connection + requests) * 0.41421356237309503;
  return list[Math.floor((x - Math.floor(x)) * list.length) % list.length];
}

/**
 * The backend for a request given its preview header value, sticky user id (or null) and
 * connection counters: the preview header names a release exactly; otherwise the weighted split.
 */
function choose(routes, preview, user, connection, requests) {
  if (preview) {
    const named = (routes.names || []).indexOf(preview);
    if (named >= 0) return backendOf(routes, named, connection, requests);
  }
  const i = pick(routes, user === null ? null : stickyPoint(user), splitPoint(connection, requests));
  return i < 0 ? 'slipway_none' : backendOf(routes, i, connection, requests);
}

/** `routes` without the backends in `failed` (addresses tried already): a release left with none is not eligible. */
function without(routes, failed) {
  const backends = routes.backends.map((list) => list.filter((b) => failed.indexOf(b) < 0));
  return {
    names: routes.names,
    weights: routes.weights,
    eligible: backends.map((list, i) => routes.eligible[i] && list.length > 0),
    backends: backends,
    user: routes.user,
    preview: routes.preview,
  };
}

/** Methods a retry may send again (nginx's own rule: never a POST, PATCH or LOCK that may have been sent). */
const IDEMPOTENT = { GET: 1, HEAD: 1, OPTIONS: 1, PUT: 1, DELETE: 1, TRACE: 1 };

function readRoutes(r) {
  try {
    return JSON.parse(fs.readFileSync(r.variables.slipway_routes, 'utf8'));
  } catch (e) {
    r.error(`slipway: cannot read routes ${r.variables.slipway_routes}: ${e}`);
    return null;
  }
}

function answer(r, routes) {
  return choose(
    routes,
    routes.preview ? r.variables[routes.preview] : null,
    userOf(r, routes.user),
    Number(r.variables.connection),
    Number(r.variables.connection_requests),
  );
}

function upstream(r) {
  const routes = readRoutes(r);
  return routes === null ? 'slipway_none' : answer(r, routes);
}

/**
 * After the first try failed in nginx (connection refused or reset, a timeout: nginx's own 502 or
 * 504, never the app's): another backend, the ones tried excluded (`$upstream_addr` lists them,
 * `, ` within a try and ` : ` across internal redirects). Only for idempotent methods.
 */
function retry(r) {
  if (!IDEMPOTENT[r.method]) return 'slipway_none';
  const routes = readRoutes(r);
  if (routes === null) return 'slipway_none';
  const failed = String(r.variables.upstream_addr || '').split(/, | : /);
  return answer(r, without(routes, failed));
}

export default {
  upstream: upstream,
  retry: retry,
  pick: pick,
  choose: choose,
  without: without,
  stickyPoint: stickyPoint,
  splitPoint: splitPoint,
};
