/**
 * Renders the haproxy.cfg of one environment (one HAProxy process per environment), pure.
 *
 * The runtime API can change a server's address, weight and admin state and the entries of a
 * map, but it cannot add backends, frontends or ACLs. So the config holds the *structure* only:
 * pre-allocated release slots `r0..rN` with server slots `s0..sM` each, a backend `all` holding
 * every slot (the weighted split), one backend per release slot (preview and sticky users), and
 * two maps (preview: release → slot backend; sticky: slot → [lo,hi) range of the user-id hash).
 * Cutovers then touch only weights and map entries. A state that needs more slots, another
 * listen address, stickiness, preview header or health check changes the structure: the driver
 * re-renders and reloads HAProxy gracefully (master-worker, old worker finishes its requests).
 */
import { statusRegex } from '../../domain/health-status.ts';
import type { RouteState } from '../contract.ts';
import { previewHeaderOf } from '../validate.ts';

export interface Structure {
  readonly listen: RouteState['listen'];
  readonly releaseSlots: number;
  readonly serverSlots: number;
  readonly stickiness: RouteState['stickiness'];
  readonly previewHeader: string;
  readonly health: RouteState['health'];
}

/** One server slot's contents; undefined slots are rendered disabled. */
export interface SlotServer {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
}

export interface RenderInput {
  readonly dir: string;
  readonly threads: number;
  readonly structure: Structure;
  /** servers[release slot][server slot]; rendered enabled only when `enabled` (a reload). */
  readonly servers: readonly (readonly (SlotServer | undefined)[])[];
  readonly enabled: boolean;
}

export function structureOf(state: RouteState, minRelease = 4, minServer = 4): Structure {
  const most = Math.max(0, ...state.releases.map((r) => r.backends.length));
  return {
    listen: state.listen,
    releaseSlots: Math.max(minRelease, state.releases.length),
    serverSlots: Math.max(minServer, most),
    stickiness: state.stickiness,
    previewHeader: previewHeaderOf(state),
    health: state.health,
  };
}

export function sameStructure(a: Structure, b: Structure): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export const releaseBackend = (i: number) => `r${i}`;
export const allServer = (i: number, j: number) => `all/r${i}s${j}`;
export const slotServer = (i: number, j: number) => `r${i}/s${j}`;

export function renderConfig(input: RenderInput): string {
  const { dir, structure: s } = input;
  const lines: string[] = [
    'global',
    `  stats socket ${dir}/admin.sock mode 600 level admin expose-fd listeners`,
    `  nbthread ${input.threads}`,
    '  maxconn 4096',
    '  hard-stop-after 60s',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 60s',
    '  timeout tunnel 1h',
    // A request whose connection failed, or that got no byte back, is sent again to another
    // server: that is how a SIGKILLed instance loses no request.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    '  option forwardfor',
    // On a reload the old worker keeps idle keep-alive connections open until their next request
    // and answers it with "Connection: close", instead of closing them under a client that is
    // just sending one. hard-stop-after bounds how long an old worker lingers.
    '  option idle-close-on-response',
    '',
    'frontend fe',
    `  bind ${s.listen.host}:${s.listen.port}`,
    '  http-request set-header X-Forwarded-Proto http',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    '  http-request set-header X-Request-Id %[uuid()] unless { req.hdr(x-request-id) -m found }',
  ];
  const routes = [
    `  acl preview req.hdr(${s.previewHeader}),map(${dir}/preview.map) -m found`,
    `  use_backend %[req.hdr(${s.previewHeader}),map(${dir}/preview.map)] if preview`,
  ];
  if (s.stickiness) {
    const fetch =
      s.stickiness.kind === 'header' ? `req.hdr(${s.stickiness.name})` : `req.cook(${s.stickiness.name})`;
    lines.push(`  http-request set-var(txn.point) ${fetch},crc32(1),mod(10000) if { ${fetch} -m found }`);
    const map = `map_str_int(${dir}/sticky.map,0)`;
    for (let i = 0; i < s.releaseSlots; i++) {
      lines.push(
        `  http-request set-var(txn.r${i}lo) str(r${i}lo),${map} if { var(txn.point) -m found }`,
        `  http-request set-var(txn.r${i}hi) str(r${i}hi),${map} if { var(txn.point) -m found }`,
      );
      routes.push(
        `  acl sticky_r${i}_lo var(txn.point),sub(txn.r${i}lo) ge 0`,
        `  acl sticky_r${i}_hi var(txn.point),sub(txn.r${i}hi) lt 0`,
        `  use_backend r${i} if sticky_r${i}_lo sticky_r${i}_hi { nbsrv(r${i}) gt 0 }`,
      );
    }
  }
  lines.push(...routes);
  lines.push('  default_backend all', '', 'backend all', '  balance roundrobin');
  if (s.health) {
    lines.push(
      `  option httpchk GET ${s.health.path}`,
      // The same meaning of healthy as the runtime's checks (src/domain/health-status.ts).
      `  http-check expect rstatus ${statusRegex(s.health.expect)}`,
      `  timeout check ${s.health.timeoutMs}ms`,
      `  default-server check inter ${s.health.intervalMs}ms fall 2 rise 1`,
    );
  } else {
    // No HTTP check configured: a TCP connect check still takes a dead instance out.
    lines.push('  default-server check inter 1s fall 2 rise 1');
  }
  for (let i = 0; i < s.releaseSlots; i++) {
    for (let j = 0; j < s.serverSlots; j++)
      lines.push(`  server r${i}s${j} ${serverTail(input, i, j, true)}`);
  }
  for (let i = 0; i < s.releaseSlots; i++) {
    lines.push('', `backend r${i}`, '  balance roundrobin');
    for (let j = 0; j < s.serverSlots; j++) {
      lines.push(`  server s${j} ${serverTail(input, i, j, false)} track all/r${i}s${j}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function serverTail(input: RenderInput, i: number, j: number, weighted: boolean): string {
  const server = input.servers[i]?.[j];
  if (!server || !input.enabled) return `127.0.0.1:1 weight ${weighted ? 0 : 1} disabled`;
  return `${server.host}:${server.port} weight ${weighted ? server.weight : 1}`;
}

/** HAProxy server weights are 0–256; a release's share is spread over its servers. */
export function serverWeight(releaseWeight: number, servers: number): number {
  if (releaseWeight <= 0 || servers === 0) return 0;
  return Math.max(1, Math.round((releaseWeight * 256) / 100 / servers));
}

/** [lo,hi) of the user-id hash (0–9999) per release slot: the newest release gets the lowest range. */
export function stickyRanges(
  weights: readonly { slot: number; weight: number }[],
): Map<number, [number, number]> {
  const ranges = new Map<number, [number, number]>();
  let at = 0;
  for (let k = weights.length - 1; k >= 0; k--) {
    const { slot, weight } = weights[k]!;
    const size = weight * 100;
    ranges.set(slot, [at, at + size]);
    at += size;
  }
  return ranges;
}
