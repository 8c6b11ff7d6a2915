/**
 * Serves the built dashboard: hashed files under /assets/ are cached for a year (their names
 * change with their content), every other path gets index.html, revalidated on each load. A strict
 * Content-Security-Policy allows only this origin's scripts, styles and API — no inline script.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Context } from 'hono';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const gzipAsync = promisify(gzip);
const COMPRESSIBLE = /\.(html|js|css|svg|json)$/;
const GZIP_CACHE = new Map<string, { source: Buffer; gz: Buffer }>();

/** The gzip of a built file, made once per content (assets are immutable; index.html is small). */
async function gzipped(file: string, body: Buffer): Promise<Buffer> {
  const hit = GZIP_CACHE.get(file);
  if (hit?.source.equals(body)) return hit.gz;
  const gz = await gzipAsync(body, { level: 9 });
  GZIP_CACHE.set(file, { source: body, gz });
  return gz;
}

/** A Hono handler for GET requests outside /api; `dir` is the build output, or null when none. */
export function dashboardHandler(dir: string | null) {
  return async (c: Context, next: () => Promise<void>) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path === '/api' || path === '/openapi.json') return next();
    c.header('Content-Security-Policy', DASHBOARD_CSP);
    if (!dir)
      return c.text(
        'The dashboard is not built: install the dev dependencies (npm install) and restart the server.',
        503,
      );
    const asset = path.startsWith('/assets/') ? normalize(join(dir, path)) : null;
    if (asset && !asset.startsWith(join(dir, 'assets') + sep)) return c.text('not found', 404);
    const file = asset ?? join(dir, 'index.html');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return c.text('not found', 404);
    }
    c.header('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    c.header('Cache-Control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('Vary', 'Accept-Encoding');
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '') && COMPRESSIBLE.test(file)) {
      c.header('Content-Encoding', 'gzip');
      return c.body(new Uint8Array(await gzipped(file, body)), 200);
    }
    return c.body(new Uint8Array(body), 200);
  };
}
