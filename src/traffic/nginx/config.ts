/**
 * Renders nginx.conf and the routes file for one environment (one nginx master per environment), pure.
 *
 * - each release has its own upstream `slipway_r<i>` (its backends, upstream keep-alive, passive
 *   ejection with max_fails); `slipway_none` answers 502 when no release can take a request;
 * - the preview header is a `map` from release name to that release's upstream;
 * - otherwise njs (route.js, `js_set`) picks the release per request from the routes file:
 *   weights, which releases have a healthy backend, and the sticky user variable.
 * A weight change rewrites only the routes file (no reload). The config holds the structure —
 * releases, backends, health (`down`), preview header, listen address — and a change of it is a
 * re-render and a graceful reload. Each config generation reads its own routes file, so old
 * workers finishing a reload never read indices of a config they do not have.
 * Open-source nginx has no active health checks: the driver runs them and renders a failing
 * backend `down` (router.ts).
 */
import type { RouteState } from '../contract.ts';
import { previewHeaderOf } from '../validate.ts';

export interface NginxRender {
  readonly dir: string;
  readonly workers: number;
  readonly state: RouteState;
  /** `host:port` of backends whose health check failed: rendered `down`. */
  readonly down?: ReadonlySet<string>;
  /** The njs module to load (null: compiled into nginx). */
  readonly jsModule: string | null;
  /** route.js as copied into `dir`. */
  readonly script: string;
  /** The routes file of this config generation. */
  readonly routes: string;
}

/** nginx variable name (without `$`) of a request header: lower case, dashes become underscores. */
function headerVar(name: string): string {
  return `http_${name.toLowerCase().replace(/-/g, '_')}`;
}

const key = (b: { host: string; port: number }) => `${b.host}:${b.port}`;

/** The routes file route.js reads: what a weight change rewrites. */
export function renderRoutes(state: RouteState, down?: ReadonlySet<string>): string {
  const s = state.stickiness;
  return `${JSON.stringify({
    weights: state.releases.map((r) => r.weight),
    eligible: state.releases.map((r) => r.backends.some((b) => !down?.has(key(b)))),
    user: s ? (s.kind === 'header' ? headerVar(s.name) : `cookie_${s.name}`) : null,
  })}\n`;
}

export function renderNginx({ dir, workers, state, down, jsModule, script, routes }: NginxRender): string {
  const upstreams: string[] = [];
  state.releases.forEach((r, i) => {
    const servers = r.backends.map(
      (b) => `    server ${key(b)} max_fails=1 fail_timeout=2s${down?.has(key(b)) ? ' down' : ''};`,
    );
    upstreams.push(
      `  upstream slipway_r${i} {`,
      ...(servers.length ? servers : ['    server 127.0.0.1:1 down;']),
      '    keepalive 64;',
      '  }',
    );
  });
  const preview = state.releases.map((r, i) => `    "${r.release}" slipway_r${i};`);
  return `${[
    ...(jsModule ? [`load_module ${jsModule};`] : []),
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
    `  js_import slipway from ${script};`,
    `  js_var $slipway_routes ${routes};`,
    '  js_set $slipway_split slipway.upstream;',
    '  map $http_upgrade $slipway_connection { default upgrade; "" ""; }',
    '  map $http_x_request_id $slipway_request_id { "" $request_id; default $http_x_request_id; }',
    `  map $${headerVar(previewHeaderOf(state))} $slipway_preview {`,
    '    default "";',
    ...preview,
    '  }',
    // njs runs only for requests without a preview header.
    '  map $slipway_preview $slipway_upstream { "" $slipway_split; default $slipway_preview; }',
    ...upstreams,
    '  upstream slipway_none {',
    '    server 127.0.0.1:1 down;',
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
    // of the release (nginx never retries a non-idempotent request that was sent).
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
