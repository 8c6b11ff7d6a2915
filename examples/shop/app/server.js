// The example shop: a small HTTP service slipway deploys in the demo and the tests.
// Its version comes from VERSION beside this file. Fault switches make every rollback path real:
//   faults.json beside this file (baked into a release) or POST /__faults at run time:
//   { "errorRate": 0.1, "latencyMs": 200, "crash": true, "unhealthy": true }
//   With "onlyIn": "production" the baked-in faults show only where SHOP_ENV is production: the bug
//   that staging cannot catch. "newCheckoutErrorRate" fails only the new checkout (a bug behind a flag).
// Feature flag "new-checkout" (GET /api/checkout): read through OpenFeature with slipway's provider
// when SLIPWAY_FLAGS_URL is set (with SLIPWAY_FLAGS_TOKEN, a viewer's token, and SLIPWAY_FLAGS_ENV),
// bucketed on the x-user-id header. Each checkout answer names the variant it served in
// `x-slipway-flag: new-checkout=on|off`, so slipway's router can judge the variants apart.
// With DATABASE_URL set (and the `pg` package beside it), /api/products reads the products table
// that migrations/ creates; `SELECT *` so every release reads whatever columns its schema has.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const read = (name, fallback) =>
  existsSync(join(here, name)) ? readFileSync(join(here, name), 'utf8').trim() : fallback;
const version = read('VERSION', '0.0.0');
const baked = JSON.parse(read('faults.json', '{}'));
const faults = baked.onlyIn && baked.onlyIn !== process.env.SHOP_ENV ? {} : baked;
const products = [
  { id: 1, name: 'Anchor', price: 12 },
  { id: 2, name: 'Rope', price: 4 },
];

/** The OpenFeature client when flags are configured; without it every user gets the classic checkout. */
const flags = await openFlags();

async function openFlags() {
  const url = process.env.SLIPWAY_FLAGS_URL;
  if (!url) return undefined;
  // Loaded only when used, so the shop runs without these packages (the container image has none).
  const { OpenFeature } = await import('@openfeature/server-sdk');
  const { SlipwayProvider } = await import('slipway/flags/provider');
  const provider = new SlipwayProvider({
    url,
    token: process.env.SLIPWAY_FLAGS_TOKEN ?? '',
    env: process.env.SLIPWAY_FLAGS_ENV ?? process.env.SHOP_ENV ?? 'production',
  });
  // A server that is away at start only means defaults until it answers: the provider keeps trying.
  await OpenFeature.setProviderAndWait(provider).catch((e) =>
    process.stderr.write(`shop: flags unavailable for now (${e.message}); classic checkout meanwhile\n`),
  );
  return OpenFeature.getClient('shop');
}

async function checkout(user) {
  const details = flags
    ? await flags.getBooleanDetails('new-checkout', false, { targetingKey: user ?? '' })
    : { value: false, variant: undefined };
  const variant = details.variant ?? (details.value ? 'on' : 'off');
  if (details.value) {
    const broken = faults.newCheckoutErrorRate && Math.random() < faults.newCheckoutErrorRate;
    return {
      variant,
      status: broken ? 500 : 200,
      body: broken ? { error: 'new checkout failed' } : { version, checkout: 'new', steps: 1 },
    };
  }
  return { variant, status: 200, body: { version, checkout: 'classic', steps: 3 } };
}

// Loaded only when there is a database and a build that carries `pg`: the app runs without
// node_modules otherwise, serving its built-in list (a test may set DATABASE_URL for slipway only).
const db = process.env.DATABASE_URL
  ? await import('pg').then(
      (pg) => new pg.default.Pool({ connectionString: process.env.DATABASE_URL, max: 4 }),
      () => {
        process.stderr.write(
          `shop ${version}: DATABASE_URL is set but this build has no pg; serving the built-in list\n`,
        );
        return null;
      },
    )
  : null;
db?.on('error', (e) => process.stderr.write(`shop ${version}: database: ${e.message}\n`));

if (faults.crash) {
  process.stderr.write(`shop ${version}: crashing on start (faults.json says crash)\n`);
  process.exit(3);
}

// A connection the server cut (a restore swapping databases: 57P01, or a refused connect while the
// database is closed for a moment) is retried on a fresh one rather than shown to the user.
async function readProducts(attempt = 1) {
  try {
    return (await db.query('SELECT * FROM products ORDER BY id LIMIT 20')).rows;
  } catch (e) {
    const transient = e.code === '57P01' || e.code === '55000' || e.code === '3D000' || !e.code;
    if (!transient || attempt >= 5) throw e;
    await new Promise((r) => setTimeout(r, 50 * attempt));
    return readProducts(attempt + 1);
  }
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'x-shop-version': version, ...headers });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://shop');
  if (url.pathname === '/health') {
    return faults.unhealthy ? send(res, 503, { ok: false }) : send(res, 200, { ok: true, version });
  }
  if (url.pathname === '/__faults' && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      Object.assign(faults, JSON.parse(body || '{}'));
      send(res, 200, faults);
    });
    return;
  }
  const answer = () => {
    if (faults.errorRate && Math.random() < faults.errorRate)
      return send(res, 500, { error: 'injected fault' });
    if (url.pathname === '/api/products' && db)
      return void readProducts().then(
        (rows) => send(res, 200, { version, products: rows }),
        (e) => send(res, 500, { error: `database: ${e.message}` }),
      );
    if (url.pathname === '/api/products') return send(res, 200, { version, products });
    if (url.pathname === '/api/checkout') {
      checkout(req.headers['x-user-id']).then(
        (c) => send(res, c.status, c.body, { 'x-slipway-flag': `new-checkout=${c.variant}` }),
        (e) => send(res, 500, { error: e.message }),
      );
      return;
    }
    if (url.pathname === '/') return send(res, 200, { version, greeting: process.env.GREETING ?? 'hello' });
    if (url.pathname === '/slow')
      return setTimeout(
        () => send(res, 200, { version, slow: true }),
        Number(url.searchParams.get('ms') ?? 500),
      );
    return send(res, 404, { error: 'not found' });
  };
  const latency = (faults.latencyMs ?? 0) * (0.8 + Math.random() * 0.4);
  if (latency > 0) setTimeout(answer, latency);
  else answer();
});

server.keepAliveTimeout = 65_000;
// HOST is 0.0.0.0 in a container (the runtime publishes PORT on 127.0.0.1 of the host).
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`shop ${version} listening on ${process.env.PORT}\n`);
});
// Graceful stop: finish in-flight requests, then exit.
process.on('SIGTERM', () => {
  server.close(() => void (db ? db.end() : Promise.resolve()).finally(() => process.exit(0)));
  server.closeIdleConnections();
});
