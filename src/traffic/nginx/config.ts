/**
 * Renders nginx.conf for one environment (one nginx master per environment), pure.
 *
 * - the weighted split is an upstream `slipway_all` with every server of every release, weighted
 *   (nginx's smooth weighted round-robin; a release at weight 0 is left out);
 * - each release also has its own upstream `slipway_r<i>` for the preview header and sticky users;
 * - the preview header is a `map` from release name to that upstream;
 * - stickiness is `split_clients` on the user id, the newest release listed first so its range
 *   [0, w) only grows with its weight (the same monotonic rule as the built-in router);
 * - a chain of maps picks the upstream: preview, else sticky, else the weighted split.
 * nginx has no runtime API for any of this: every change is a re-render and a graceful reload.
 * Open-source nginx has no active health checks either: the driver runs them and renders a
 * failing backend `down` (router.ts).
 */
import type { RouteState } from '../contract.ts';
import { previewHeaderOf } from '../validate.ts';

export interface NginxRender {
  readonly dir: string;
  readonly workers: number;
  readonly state: RouteState;
  /** `host:port` of backends whose health check failed: rendered `down`. */
  readonly down?: ReadonlySet<string>;
}

/** nginx variable name of a request header: lower case, dashes become underscores. */
function headerVar(name: string): string {
  return `$http_${name.toLowerCase().replace(/-/g, '_')}`;
}

/** nginx server weights are integers ≥ 1; 60 divides evenly among 1–6 servers. */
export function nginxWeight(releaseWeight: number, servers: number): number {
  return Math.max(1, Math.round((releaseWeight * 60) / servers));
}

export function renderNginx({ dir, workers, state, down }: NginxRender): string {
  const upstreams: string[] = [];
  const all: string[] = [];
  const flag = (b: { host: string; port: number }) => (down?.has(`${b.host}:${b.port}`) ? ' down' : '');
  state.releases.forEach((r, i) => {
    const servers = r.backends.map(
      (b) => `    server ${b.host}:${b.port} max_fails=1 fail_timeout=2s${flag(b)};`,
    );
    upstreams.push(
      `  upstream slipway_r${i} {`,
      ...(servers.length ? servers : ['    server 127.0.0.1:1 down;']),
    );
    upstreams.push('    keepalive 64;', '  }');
    if (r.weight > 0) {
      const w = nginxWeight(r.weight, r.backends.length);
      for (const b of r.backends) {
        all.push(`    server ${b.host}:${b.port} weight=${w} max_fails=1 fail_timeout=2s${flag(b)};`);
      }
    }
  });
  if (all.length === 0) all.push('    server 127.0.0.1:1 down;');

  const preview = state.releases.map((r, i) => `    "${r.release}" slipway_r${i};`);
  const sticky: string[] = [];
  let uid = '';
  if (state.stickiness) {
    uid =
      state.stickiness.kind === 'header'
        ? headerVar(state.stickiness.name)
        : `$cookie_${state.stickiness.name}`;
    for (let i = state.releases.length - 1; i >= 0; i--) {
      const r = state.releases[i]!;
      if (r.weight > 0) sticky.push(`    ${r.weight}% slipway_r${i};`);
    }
  }
  return `${[
    'daemon off;',
    'master_process on;',
    `worker_processes ${workers};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log notice;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/tmp/body;`,
    `  proxy_temp_path ${dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `  scgi_temp_path ${dir}/tmp/scgi;`,
    '  keepalive_timeout 65s;',
    '  keepalive_requests 100000;',
    '  map $http_upgrade $slipway_connection { default upgrade; "" ""; }',
    '  map $http_x_request_id $slipway_request_id { "" $request_id; default $http_x_request_id; }',
    `  map ${headerVar(previewHeaderOf(state))} $slipway_preview {`,
    '    default "";',
    ...preview,
    '  }',
    ...(sticky.length
      ? [
          `  split_clients "${uid}" $slipway_split {`,
          ...sticky,
          '  }',
          `  map ${uid} $slipway_sticky { "" ""; default $slipway_split; }`,
        ]
      : ['  map $slipway_preview $slipway_sticky { default ""; }']),
    '  map $slipway_preview $slipway_chosen { "" $slipway_sticky; default $slipway_preview; }',
    '  map $slipway_chosen $slipway_upstream { "" slipway_all; default $slipway_chosen; }',
    ...upstreams,
    '  upstream slipway_all {',
    ...all,
    '    keepalive 64;',
    '  }',
    '  server {',
    `    listen ${state.listen.host}:${state.listen.port};`,
    '    location / {',
    '      proxy_pass http://$slipway_upstream;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Host $http_host;',
    '      proxy_set_header Connection $slipway_connection;',
    '      proxy_set_header Upgrade $http_upgrade;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
    '      proxy_set_header X-Forwarded-Host $http_host;',
    '      proxy_set_header X-Request-Id $slipway_request_id;',
    // A failed connect or a connection closed before the response is retried on another server
    // (nginx never retries a non-idempotent request that was sent).
    '      proxy_next_upstream error timeout;',
    '      proxy_next_upstream_tries 3;',
    '      proxy_connect_timeout 2s;',
    '      proxy_read_timeout 3600s;',
    '      proxy_buffering off;',
    '    }',
    '  }',
    '}',
  ].join('\n')}\n`;
}
