/**
 * nginx's per-request choice of release, run by njs (`js_set $slipway_split slipway.upstream`).
 * Plain JavaScript that both njs 0.7 and Node run (no destructuring, no for…of), so the tests
 * check the same code nginx runs.
 *
 * The weights live in a small JSON file (`$slipway_routes`) that the driver replaces atomically
 * (temp file + rename): a weight change is a file write, not an nginx reload, so no client
 * connection is closed. njs 0.7 starts every request from a fresh copy of its VM (no global
 * survives a request), so the file is read on every request; it is a few dozen bytes.
 *
 * Routes file: { weights: number[], eligible: boolean[], user: string | null }, releases oldest
 * first, `eligible[i]` false when release i has no healthy backend, `user` the nginx variable
 * holding the sticky user id (`http_x_user_id`, `cookie_uid`). The answer is the upstream
 * `slipway_r<i>`, or `slipway_none` (a 502) when no eligible release has weight.
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

function upstream(r) {
  let routes;
  try {
    routes = JSON.parse(fs.readFileSync(r.variables.slipway_routes, 'utf8'));
  } catch (e) {
    r.error(`slipway: cannot read routes ${r.variables.slipway_routes}: ${e}`);
    return 'slipway_none';
  }
  const user = userOf(r, routes.user);
  const point = splitPoint(Number(r.variables.connection), Number(r.variables.connection_requests));
  const i = pick(routes, user === null ? null : stickyPoint(user), point);
  return i < 0 ? 'slipway_none' : `slipway_r${i}`;
}

export default { upstream: upstream, pick: pick, stickyPoint: stickyPoint, splitPoint: splitPoint };
