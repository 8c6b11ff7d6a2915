// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright's Locator.innerText (the rendered text a reader sees), not the DOM property
/**
 * The dashboard's Delivery (DORA) page and a post-mortem draft in headless Chromium against a real
 * server over the hand-computed DORA fixture: reached from the navigation, the four keys in the
 * reader's locale (German here), a chart and a table by week, the failures linked to their
 * deployments and drafts; the draft's Markdown rendered as elements, a reason carrying markup
 * shown as text. Screenshots in test-artifacts/dashboard-dora/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { parseConfig } from '../src/config/load.ts';
import { seedDoraFixture } from '../src/metrics/testing.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { openStore } from '../src/store/factory.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { repoRoot, serviceSkip } from '../src/testing.ts';
import { type FreshBrowser, freshBrowser, hasChromium, recordProblems } from '../src/web/browser.ts';
import { ensureDashboard } from '../src/web/build.ts';

const H = 3_600_000;
const BASE = Date.now() - 14 * 24 * H + 5 * 60_000;
const READER = { locale: 'de-DE', timezoneId: 'Europe/Berlin' };
const MARKUP = '<img src=x onerror="window.__pwned=1">';

async function waitText(locator: Locator, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await locator.innerText().catch(() => '');
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`no ${pattern} in: ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const skip = serviceSkip('chromium', hasChromium(), 'apt-get install -y chromium');
const artifacts = join(repoRoot, 'test-artifacts', 'dashboard-dora');

describe('dashboard: Delivery (DORA) and post-mortem drafts in headless Chromium', { skip }, () => {
  let server: TestServer;
  let browser: FreshBrowser;
  let page: Page;
  let ids: Map<string, string>;
  const problems: string[] = [];

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    const webDir = await ensureDashboard();
    const loaded = parseConfig(
      'app: shop\nrun: { command: node server.js }\nenvironments:\n  staging: {}\n  production: { after: staging }\n',
      'slipway.yaml',
    );
    assert.ok(loaded.ok);
    server = await startTestServer(BACKENDS[0] as (typeof BACKENDS)[number], {
      config: loaded.config,
      webDir,
    });
    const clock = { ms: BASE };
    const seeded = await openStore(server.storeUrl, process.cwd(), { now: () => new Date(clock.ms) });
    try {
      ids = await seedDoraFixture(seeded, clock, BASE);
      // The rolled-back one's recorded reason carries markup: the draft must show it as text.
      const d2 = await seeded.getDeployment(ids.get('d2') as string);
      assert.ok(d2);
      assert.ok(await seeded.updateDeployment(d2.id, d2.revision, { reason: `error rate 9% ${MARKUP}` }));
    } finally {
      await seeded.close();
    }
    browser = await freshBrowser({ width: 1280, height: 900 }, READER);
    page = await browser.context.newPage();
    recordProblems(page, problems);
    await page.goto(server.url);
    await page.waitForSelector('#token:focus');
    await page.keyboard.type(server.admin);
    await page.keyboard.press('Enter');
    await page.waitForSelector('nav a[href="#/dora"]');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the Delivery page is in the navigation and shows the four keys in the reader locale', async () => {
    await page.focus('nav a[href="#/dora"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.dora .keys');
    assert.equal(await page.getAttribute('nav a[href="#/dora"]', 'aria-current'), 'page');
    // The default: the last environment of the lifecycle, 90 days (the fixture's "old" included:
    // 4 of 7 changes failed).
    assert.equal(await page.getAttribute('.dora', 'data-env'), 'production');
    const failure = await waitText(page.locator('[data-key="failure"]'), /57,1\s%/);
    assert.match(failure, /4 von 7|4 of 7/);
    // German numbers and unit names: 4 succeeded changes in 90 days is 0,311 a week, shown as 0,3.
    assert.match(await page.locator('[data-key="frequency"]').innerText(), /0,3 \/ week/);
    assert.match(await page.locator('[data-key="lead"]').innerText(), /Stunden/);
    assert.match(await page.locator('[data-key="recovery"]').innerText(), /3 recovered, 1 open/);

    // A chart and its table by week, the weeks' Mondays written the German way.
    assert.ok(await page.$('figure.dora-weeks canvas'));
    const api = (await (
      await server.request('/api/metrics/dora?env=production&since=90d', { token: server.admin })
    ).json()) as { weeks: { week: string; deployments: number; failed: number }[] };
    const rows = page.locator('table.weeks tbody tr');
    assert.equal(await rows.count(), api.weeks.length);
    const first = api.weeks[0] as { week: string; deployments: number; failed: number };
    const german = new Date(`${first.week}T00:00:00Z`).toLocaleDateString('de-DE', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    });
    assert.equal(await rows.first().locator('td').first().innerText(), german);
    await page.screenshot({ path: join(artifacts, 'dora-90d.png'), fullPage: true });

    // A shorter period through the form, by keyboard: "old" falls out, 4 of 6.
    await page.selectOption('select[name="since"]', '14d');
    await page.focus('.dora form button[type="submit"]');
    await page.keyboard.press('Enter');
    await waitText(page.locator('[data-key="failure"]'), /66,7\s%/);
    assert.equal(await page.getAttribute('.dora', 'data-since'), '14d');
  });

  test('the failures link to their deployments and drafts; the draft is rendered, its markup inert', async () => {
    const d2 = ids.get('d2') as string;
    const link = page.locator(
      `.failures li[data-how="rolled_back"] a[href="#/deployments/${d2}/postmortem"]`,
    );
    assert.equal(await link.count(), 1);
    // A reverted one is not a failed deployment of its own: no draft link.
    assert.equal(await page.locator('.failures li[data-how="reverted"] a[href$="/postmortem"]').count(), 0);
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.postmortem article h1');
    assert.match(
      await page.locator('.postmortem article h1').innerText(),
      /^Post-mortem \(draft\): shop 1\.0\.2 on production, rolled back$/,
    );
    // Markdown became elements: headings, a list, the time line as a table; no markup survived.
    assert.ok((await page.locator('.postmortem article h2').count()) >= 3);
    assert.ok(await page.$('.postmortem article table th'));
    assert.match(await page.locator('.postmortem article').innerText(), /Questions for the team/);
    const summary = await page.locator('.postmortem article ul').first().innerText();
    assert.ok(summary.includes(MARKUP), summary);
    assert.equal(await page.$('.postmortem article img'), null);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    await page.screenshot({ path: join(artifacts, 'postmortem.png'), fullPage: true });

    // The deployment's own page links to its draft too.
    await page.goto(`${server.url}/#/deployments/${d2}`);
    await page.waitForSelector('[data-action="postmortem"]');
    await page.click('[data-action="postmortem"]');
    await page.waitForSelector(`.postmortem[data-id="${d2}"] article h1`);
    // A succeeded deployment has no draft link.
    await page.goto(`${server.url}/#/deployments/${ids.get('d1')}`);
    await page.waitForSelector('.deployment h1');
    assert.equal(await page.$('[data-action="postmortem"]'), null);
  });

  test('no console errors', () => {
    assert.deepEqual(problems, []);
  });
});
