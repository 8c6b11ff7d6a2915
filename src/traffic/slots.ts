/**
 * Stable slot assignment for drivers whose proxy has a fixed number of places (HAProxy server
 * slots): a release keeps its release slot and a backend its server slot for as long as they
 * stay in the state, so an apply changes only what really changed. A slot freed by this apply is
 * reused only when no other is free, so a draining server is not re-addressed at once.
 */
import type { Backend, RouteState } from './contract.ts';

export function backendKeyOf(b: Backend): string {
  return `${b.id}@${b.host}:${b.port}`;
}

export interface SlotDiff {
  readonly added: { i: number; j: number; backend: Backend }[];
  readonly removed: { i: number; j: number }[];
  readonly releasesAdded: [string, number][];
  readonly releasesRemoved: string[];
}

/** The lowest index not taken, preferring ones not in `avoid`, within `capacity` when possible. */
function lowestFree(taken: (i: number) => boolean, avoid: ReadonlySet<number>, capacity: number): number {
  let i = 0;
  while (taken(i) || avoid.has(i)) i++;
  if (i < capacity) return i;
  i = 0;
  while (taken(i)) i++;
  return i;
}

export class SlotTable {
  private readonly release = new Map<string, number>();
  /** servers[release slot][server slot] = backend key and backend. */
  private readonly serverSlots = new Map<number, ({ key: string; backend: Backend } | undefined)[]>();

  slotOf(release: string): number | undefined {
    return this.release.get(release);
  }

  releaseSlots(): Iterable<[string, number]> {
    return this.release.entries();
  }

  serverIndexes(release: string): number[] {
    const i = this.release.get(release);
    const list = i === undefined ? [] : (this.serverSlots.get(i) ?? []);
    return list.flatMap((s, j) => (s ? [j] : []));
  }

  /** Moves the table to `state` and returns what changed. */
  assign(state: RouteState, capacity = { releases: Infinity, servers: Infinity }): SlotDiff {
    const diff: SlotDiff = { added: [], removed: [], releasesAdded: [], releasesRemoved: [] };
    const wanted = new Set(state.releases.map((r) => r.release));
    const freed = new Set<number>();
    for (const [name, i] of this.release) {
      if (wanted.has(name)) continue;
      this.release.delete(name);
      diff.releasesRemoved.push(name);
      freed.add(i);
      (this.serverSlots.get(i) ?? []).forEach((s, j) => {
        if (s) diff.removed.push({ i, j });
      });
      this.serverSlots.delete(i);
    }
    for (const r of state.releases) {
      let i = this.release.get(r.release);
      if (i === undefined) {
        const used = new Set(this.release.values());
        i = lowestFree((k) => used.has(k), freed, capacity.releases);
        this.release.set(r.release, i);
        diff.releasesAdded.push([r.release, i]);
      }
      const list = this.serverSlots.get(i) ?? [];
      this.serverSlots.set(i, list);
      const keys = new Set(r.backends.map(backendKeyOf));
      const drained = new Set<number>();
      list.forEach((s, j) => {
        if (s && !keys.has(s.key)) {
          diff.removed.push({ i, j });
          drained.add(j);
          list[j] = undefined;
        }
      });
      const have = new Set(list.flatMap((s) => (s ? [s.key] : [])));
      for (const backend of r.backends) {
        const key = backendKeyOf(backend);
        if (have.has(key)) continue;
        const j = lowestFree((k) => list[k] !== undefined, drained, capacity.servers);
        list[j] = { key, backend };
        diff.added.push({ i, j, backend });
      }
    }
    return diff;
  }

  /** Highest release slot and server slot in use, plus one (the capacity the config needs). */
  extent(): { releases: number; servers: number } {
    let releases = 0;
    let servers = 0;
    for (const [i, list] of this.serverSlots) {
      releases = Math.max(releases, i + 1);
      servers = Math.max(servers, list.length);
    }
    return { releases, servers };
  }

  /** Contents per slot for rendering a config: servers[i][j] with the weight of its release. */
  servers(
    state: RouteState,
    structure: { releaseSlots: number; serverSlots: number },
    weightOf: (releaseWeight: number, servers: number) => number,
  ): ({ host: string; port: number; weight: number } | undefined)[][] {
    const out: ({ host: string; port: number; weight: number } | undefined)[][] = [];
    for (let i = 0; i < structure.releaseSlots; i++)
      out.push(new Array(structure.serverSlots).fill(undefined));
    for (const r of state.releases) {
      const i = this.release.get(r.release);
      if (i === undefined) continue;
      const w = weightOf(r.weight, r.backends.length);
      (this.serverSlots.get(i) ?? []).forEach((s, j) => {
        if (s && out[i]) out[i][j] = { host: s.backend.host, port: s.backend.port, weight: w };
      });
    }
    return out;
  }
}
