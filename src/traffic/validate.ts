/**
 * Checks shared by every traffic driver, so they all refuse the same mistakes with the same
 * messages: weights are integers 0–100 adding up to 100, release names and backend ids unique,
 * a listen port in range.
 */
import { AppError } from '../domain/errors.ts';
import type { ReleaseRoute, RouteState } from './contract.ts';

function invalid(message: string): AppError {
  return new AppError('TRAFFIC_ROUTE_INVALID', message);
}

function checkWeights(env: string, releases: readonly ReleaseRoute[]): void {
  if (releases.length === 0) return;
  let sum = 0;
  for (const r of releases) {
    if (!Number.isInteger(r.weight) || r.weight < 0 || r.weight > 100) {
      throw invalid(
        `env "${env}": release "${r.release}" has weight ${r.weight}; use an integer from 0 to 100`,
      );
    }
    sum += r.weight;
  }
  if (sum !== 100) {
    const list = releases.map((r) => `${r.release}=${r.weight}`).join(', ');
    throw invalid(`env "${env}": weights add up to ${sum} (${list}); they must add up to 100`);
  }
}

export function validateRouteState(state: RouteState): void {
  if (!state.env) throw invalid('a route state has an empty env name; name the environment');
  const { port, host } = state.listen;
  if (!Number.isInteger(port) || port < 1 || port > 65_535 || !host) {
    throw invalid(`env "${state.env}": listen ${host}:${port} is not a host and a port from 1 to 65535`);
  }
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const r of state.releases) {
    if (!r.release) throw invalid(`env "${state.env}": a release has an empty name`);
    if (names.has(r.release)) throw invalid(`env "${state.env}": release "${r.release}" is listed twice`);
    names.add(r.release);
    for (const b of r.backends) {
      if (ids.has(b.id))
        throw invalid(`env "${state.env}": backend id "${b.id}" is used twice; ids must be unique`);
      ids.add(b.id);
      if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65_535) {
        throw invalid(`env "${state.env}": backend "${b.id}" has port ${b.port}; use 1 to 65535`);
      }
    }
  }
  checkWeights(state.env, state.releases);
}

/**
 * The releases of `state` with `weights` applied. Releases not named get weight 0, so
 * `{ v2: 100 }` is a complete cutover; naming a release the env does not have is an error.
 */
export function withWeights(
  state: RouteState | undefined,
  env: string,
  weights: Readonly<Record<string, number>>,
): ReleaseRoute[] {
  if (!state) throw invalid(`env "${env}" has no route yet; apply() its state before setWeights()`);
  const known = new Set(state.releases.map((r) => r.release));
  for (const name of Object.keys(weights)) {
    if (!known.has(name)) {
      throw invalid(
        `env "${env}" has no release "${name}" (it has: ${[...known].join(', ') || 'none'}); apply() it first`,
      );
    }
  }
  const releases = state.releases.map((r) => ({ ...r, weight: weights[r.release] ?? 0 }));
  checkWeights(env, releases);
  return releases;
}

/** The preview header name, lower-cased as node and the proxies compare it. */
export function previewHeaderOf(state: RouteState): string {
  return (state.previewHeader ?? 'x-slipway-release').toLowerCase();
}
