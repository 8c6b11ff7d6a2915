/**
 * Dashboard first load on a cold cache: each run is a fresh Chromium profile (Debian chromium,
 * headless, playwright-core) against a real `slipway server` + agent with staging and production
 * deployed. Two cases: a visitor who is signed out (the sign-in page), and a signed-in user (the
 * session cookie set in the fresh profile) whose environments view must fill. Reports, median and
 * max over the runs: first contentful paint, time to the environments view filled (navigation
 * start → every environment card rendered), and bytes transferred (document + assets + API).
 *
 * Run: node bench/dashboard-first-load.ts [runs=5]
 */
import type { Page } from 'playwright-core';
import { freshBrowser, hasChromium } from '../src/web/browser.ts';
import { startDashboardStack } from '../test/dashboard-stack.ts';

const RUNS = Number(process.argv[2] ?? 5);
if (!hasChromium()) {
  console.error('chromium is missing: apt-get install -y chromium');
  process.exit(2);
}

interface Sample {
  fcp: number;
  filled: number | null;
  bytes: number;
  requests: number;
}

// Read through CDP evaluation (not in-page string functions: the page's CSP forbids those).
const paint = `(() => {
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {
    fcp: fcp ? fcp.startTime : -1,
    bytes: (nav ? nav.transferSize : 0) + res.reduce((s, r) => s + r.transferSize, 0),
    requests: 1 + res.length,
  };
})()`;

async function measure(url: string, session: string | null): Promise<Sample> {
  const b = await freshBrowser();
  try {
    if (session) {
      const { hostname, port } = new URL(url);
      await b.context.addCookies([
        {
          name: 'slipway_session',
          value: session,
          domain: hostname,
          path: '/',
          httpOnly: true,
          sameSite: 'Strict',
        },
      ]);
      // The page's own "signed in before" flag, as a sign-in sets it.
      await b.context.addInitScript(`localStorage.setItem('slipway.signedIn', '1')`);
      void port;
    }
    const page: Page = await b.context.newPage();
    const started = Date.now();
    await page.goto(url, { waitUntil: 'commit' });
    let filled: number | null = null;
    if (session) {
      await page.waitForSelector('.env[data-env=production] .version');
      filled = Date.now() - started;
    } else await page.waitForSelector('#token');
    await page.waitForLoadState('load');
    await new Promise((r) => setTimeout(r, 200));
    const m = (await page.evaluate(paint)) as { fcp: number; bytes: number; requests: number };
    return { fcp: m.fcp, filled, bytes: m.bytes, requests: m.requests };
  } finally {
    await b.close();
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] as number, max: s.at(-1) as number };
};

const stack = await startDashboardStack(['1.0.0']);
try {
  const staging = await stack.call<{ id: string }>(stack.tokens.dev, 'POST', '/api/deployments', {
    env: 'staging',
    release: '1.0.0',
  });
  await stack.settle(stack.tokens.dev, staging.id);
  const prod = await stack.call<{ id: string }>(stack.tokens.admin, 'POST', '/api/deployments', {
    env: 'production',
    release: '1.0.0',
  });
  await stack.call(stack.tokens.alice, 'POST', `/api/deployments/${prod.id}/approve`, {});
  await stack.settle(stack.tokens.admin, prod.id);
  // A session, opened as the dashboard opens one.
  const res = await fetch(`${stack.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: stack.tokens.alice }),
  });
  const session = /slipway_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
  if (!session) throw new Error('no session cookie');
  await measure(stack.url, null); // warm the server's own file reads, not the browser
  for (const [name, s] of [
    ['signed out (sign-in page)', null],
    ['signed in (environments view)', session],
  ] as const) {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await measure(stack.url, s));
    const fcp = stats(samples.map((x) => x.fcp));
    const bytes = stats(samples.map((x) => x.bytes));
    const line = [
      `${name}: ${RUNS} cold loads`,
      `FCP median ${fcp.median.toFixed(0)} ms (max ${fcp.max.toFixed(0)})`,
    ];
    if (s) {
      const filled = stats(samples.map((x) => x.filled as number));
      line.push(`environments filled median ${filled.median} ms (max ${filled.max})`);
    }
    line.push(`transferred ${(bytes.median / 1024).toFixed(1)} KiB in ${samples[0]?.requests} requests`);
    console.log(line.join('; '));
  }
} finally {
  await stack.close();
}
