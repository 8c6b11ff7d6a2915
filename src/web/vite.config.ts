/** Vite build of the dashboard: sources in app/, output chosen by build.ts (--outDir). */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./app', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or data: module preloads, so the strict CSP holds.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
