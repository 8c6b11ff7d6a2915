/**
 * Renders nginx.conf and the routes file for one environment (one nginx master per environment), pure.
 *
 * The config holds no release: njs (route.js, `js_set`) picks the release and its backend per
 * request from the routes file, and nginx proxies to that address directly (an IP literal needs no
 * resolver). So a new release, a weight change, a backend failing its health check or a preview
 * header all rewrite only the routes file: no reload, no kept-alive client connection closed. The
 * config changes only with the listen address (re-rendered, graceful reload). Each config
 * generation reads its own routes file, so old workers finishing a reload never read a newer one.
 * What upstream blocks gave and direct proxying does not: nginx's passive ejection and
 * `proxy_next_upstream`. A failed try (nginx's own 502/504: refused, reset, timed out) goes to
 * `@slipway_retry`, where njs picks another backend, the one tried excluded (idempotent methods
 * only, as nginx does); the driver's health checks take a failing backend out of the routes file.
 * Connections to backends are not pooled (no upstream `keepalive`): each request opens one on
 * loopback. `slipway_none` answers 502 when no release can take a request.
 */
import type { RouteState } from '../contract.ts';
import { previewHeaderOf } from '../validate.ts';

export interface NginxRender {
  readonly dir: string;
  readonly workers: number;
  readonly state: RouteState;
  /** The njs module to load (null: compiled into nginx). */
  readonly jsModule: string | null;
  /** route.js as copied into `dir`. */
  readonly script: string;
  /** The routes file of this config generation. */
  readonly routes: string;
  /** How long nginx waits for a backend's answer before trying another (idempotent requests); default 3600 s. */
  readonly answerTimeoutMs?: number;
}

/** nginx variable name (without `$`) of a request header: lower case, dashes become underscores. */
function headerVar(name: string): string {
  return `http_${name.toLowerCase().replace(/-/g, '_')}`;
}

const key = (b: { host: string; port: number }) => `${b.host}:${b.port}`;
/** The address nginx proxies to: an IPv6 literal in brackets. */
const address = (b: { host: string; port: number }) =>
  b.host.includes(':') && !b.host.startsWith('[') ? `[${b.host}]:${b.port}` : key(b);

/**
 * The routes file route.js reads: everything a deployment changes. `down` holds `host:port` of
 * backends failing their health check or refusing connections: left out of their release.
 */
export function renderRoutes(state: RouteState, down?: ReadonlySet<string>): string {
  const s = state.stickiness;
  const backends = state.releases.map((r) => r.backends.filter((b) => !down?.has(key(b))).map(address));
  return `${JSON.stringify({
    names: state.releases.map((r) => r.release),
    weights: state.releases.map((r) => r.weight),
    eligible: backends.map((list) => list.length > 0),
    backends,
    user: s ? (s.kind === 'header' ? headerVar(s.name) : `cookie_${s.name}`) : null,
    preview: headerVar(previewHeaderOf(state)),
  })}\n`;
}

export function renderNginx(options: NginxRender): string {
  const { dir, workers, state, jsModule, script, routes } = options;
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
    '  js_set $slipway_upstream slipway.upstream;',
    '  js_set $slipway_retry slipway.retry;',
    '  map $http_upgrade $slipway_connection { default upgrade; "" ""; }',
    '  map $http_x_request_id $slipway_request_id { "" $request_id; default $http_x_request_id; }',
    '  upstream slipway_none {',
    '    server 127.0.0.1:1 down;',
    '  }',
    '  server {',
    `    listen ${state.listen.host}:${state.listen.port};`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Host $http_host;',
    '    proxy_set_header Connection $slipway_connection;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_set_header X-Forwarded-Proto $scheme;',
    '    proxy_set_header X-Forwarded-Host $http_host;',
    '    proxy_set_header X-Request-Id $slipway_request_id;',
    '    proxy_connect_timeout 2s;',
    `    proxy_read_timeout ${options.answerTimeoutMs === undefined ? '3600s' : `${options.answerTimeoutMs}ms`};`,
    '    proxy_buffering off;',
    '    location / {',
    '      proxy_pass http://$slipway_upstream;',
    // nginx's own 502/504 (the app's pass through untouched): one more try on another backend.
    '      error_page 502 504 = @slipway_retry;',
    '    }',
    '    location @slipway_retry {',
    '      proxy_pass http://$slipway_retry;',
    '    }',
    '  }',
    '}',
  ].join('\n')}\n`;
}
