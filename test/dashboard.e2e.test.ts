// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright's Locator.innerText (the rendered text a reader sees), not the DOM property
/**
 * The dashboard in headless Chromium (Debian's chromium, driven by playwright-core) against a real
 * server, a real agent and real instances: sign in with a token; four-eyes (the deployer cannot
 * approve, a second user can); a canary progressing live; a rollback by a measured switch; history
 * filters; a phone's width. Every action is done by keyboard; no console errors; screenshots are
 * kept in test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, serviceSkip } from '../src/testing.ts';
import { type FreshBrowser, freshBrowser, hasChromium, recordProblems } from '../src/web/browser.ts';
import { type DashboardStack, startDashboardStack } from './dashboard-stack.ts';

/** Polls a locator's text (the page's strict CSP refuses Playwright's in-page string functions). */
async function waitText(locator: Locator, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await locator.innerText();
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`no ${pattern} in: ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the page to say how it follows changes (`data-live`: stream or polling). */
async function waitLive(page: Page, state: 'stream' | 'polling', timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  // page.evaluate of an expression: the page's CSP refuses Playwright's function-string waits.
  while ((await page.evaluate('document.documentElement.dataset.live')) !== state) {
    if (Date.now() > end) throw new Error(`the page does not follow changes by ${state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const skip = serviceSkip('chromium', hasChromium(), 'apt-get install -y chromium');
const artifacts = join(repoRoot, 'test-artifacts', 'dashboard');

describe('dashboard in headless Chromium (real server, agent and instances)', { skip }, () => {
  let stack: DashboardStack;
  let browser: FreshBrowser;
  const problems: string[] = [];
  /** The one failed request the four-eyes test provokes on purpose. */
  let expectedRefusals = 0;

  const open = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    recordProblems(page, problems);
    return page;
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  /** Sign in by keyboard in a fresh browser profile of its own. */
  const signIn = async (token: string): Promise<{ page: Page; b: FreshBrowser }> => {
    const b = await freshBrowser();
    const page = await b.context.newPage();
    recordProblems(page, problems);
    await page.goto(stack.url);
    await page.waitForSelector('#token:focus');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.env');
    return { page, b };
  };
  /** Activate a button by keyboard, then confirm its dialog (reason field, Cancel, confirm). */
  const confirmByKeyboard = async (page: Page, selector: string) => {
    await page.focus(selector);
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    const hasReason = (await page.$('dialog[open] textarea')) !== null;
    if (hasReason) await page.keyboard.type('checked on staging');
    await page.keyboard.press('Tab');
    if (hasReason) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'confirm-ok');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
  };
  const others: FreshBrowser[] = [];

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    stack = await startDashboardStack();
    const d = await stack.call<{ id: string }>(stack.tokens.dev, 'POST', '/api/deployments', {
      env: 'staging',
      release: '1.0.0',
    });
    assert.equal(await stack.settle(stack.tokens.dev, d.id), 'succeeded');
    browser = await freshBrowser();
  });
  after(async () => {
    for (const b of others) await b.close();
    await browser?.close();
    await stack?.close();
  });

  test('signs in with a token by keyboard, with an HttpOnly session cookie, and shows the environments side by side', async () => {
    const page = await open();
    await page.goto(stack.url);
    await page.waitForSelector('#token:focus');
    await page.keyboard.type(stack.tokens.admin);
    await page.keyboard.press('Enter');
    const staging = page.locator('.env[data-env=staging]');
    await staging.waitFor();
    assert.match(await staging.innerText(), /Version 1\.0\.0/);
    assert.match(await staging.innerText(), /By\s+dev/);
    assert.match(await staging.innerText(), /Version 1\.0\.0 has been on staging since/);
    // Release notes are text, not markup.
    assert.match(await staging.innerText(), /<script>window\.__pwned = 1<\/script>/);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    const diff = await page.locator('table.diff').innerText();
    assert.match(diff, /What differs between staging and production/);
    assert.match(diff, /DEMO_BANNER\s+value\s+not set/);
    assert.match(
      await staging.locator('.revert-time').innerText(),
      /There is no earlier version on staging to go back to\./,
    );
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'slipway_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    await shot(page, '1-environments');
    await page.close();
  });

  test('four-eyes: the deployer may not approve; a second user approves by keyboard and watches the canary live', async () => {
    const first = await stack.call<{ id: string }>(stack.tokens.admin, 'POST', '/api/deployments', {
      env: 'production',
      release: '1.0.0',
    });
    await stack.call(stack.tokens.alice, 'POST', `/api/deployments/${first.id}/approve`, {});
    assert.equal(await stack.settle(stack.tokens.admin, first.id), 'succeeded');
    const staged = await stack.call<{ id: string }>(stack.tokens.dev, 'POST', '/api/deployments', {
      env: 'staging',
      release: '2.0.0',
    });
    assert.equal(await stack.settle(stack.tokens.dev, staged.id), 'succeeded');
    const stopLoad = await stack.load('production', 60);
    try {
      const canary = await stack.call<{ id: string }>(stack.tokens.admin, 'POST', '/api/deployments', {
        env: 'production',
        release: '2.0.0',
      });
      // The admin started it: the role allows approving, four-eyes does not.
      const admin = await open();
      await admin.goto(`${stack.url}/#/deployments/${canary.id}`);
      await admin.waitForSelector('[data-action=approve]');
      expectedRefusals = 1;
      await confirmByKeyboard(admin, '[data-action=approve]');
      await admin.waitForSelector('.actions .error:not(:empty)');
      assert.match(await admin.locator('.actions .error').innerText(), /four-eyes/);
      await shot(admin, '2-four-eyes-refused');
      // A deployer sees no approve button at all.
      const dev = await signIn(stack.tokens.dev);
      others.push(dev.b);
      await dev.page.goto(`${stack.url}/#/deployments/${canary.id}`);
      await dev.page.waitForSelector('[data-action=pause]');
      assert.equal(await dev.page.locator('[data-action=approve]').count(), 0);
      // The approver: a plain sentence, then approve by keyboard.
      const alice = await signIn(stack.tokens.alice);
      others.push(alice.b);
      // An approver gets the client view; this test follows the detailed one, a click away.
      await alice.page.click('[data-action=switch-view]');
      await alice.page.waitForSelector('.env .version');
      const card = alice.page.locator('.env[data-env=production]');
      await card.locator('a.button.primary').waitFor();
      assert.match(
        await card.innerText(),
        /Version 2\.0\.0 has been on staging since \d\d:\d\d( [AP]M)?\. All checks passed there\. It is waiting for your approval to go live on production\.\s+If something goes wrong, reverting means stopping the rollout and sending every visitor back to the previous version; how long that takes is not yet measured here\./,
      );
      await shot(alice.page, '3-approver-environments');
      await alice.page.focus('.env[data-env=production] a.button.primary');
      await alice.page.keyboard.press('Enter');
      await alice.page.waitForSelector('[data-action=approve]');
      assert.equal(await alice.page.locator('[data-action=pause]').count(), 0, 'an approver cannot pause');
      await confirmByKeyboard(alice.page, '[data-action=approve]');
      // Live: the stream moves the page to 50% and on to the end, with no reload.
      await alice.page.waitForSelector('.status[data-weight="50"]', { timeout: 30_000 });
      await alice.page.waitForSelector('figure.chart:not([hidden])', { timeout: 15_000 });
      assert.equal(
        await alice.page.locator('[data-action=approve]').count(),
        0,
        'no approve past the approval step',
      );
      await waitText(alice.page.locator('.deployment'), /Approved by alice/);
      await shot(alice.page, '4-canary-live-50');
      await alice.page.waitForSelector('.status[data-status=succeeded]', { timeout: 60_000 });
      assert.match(await alice.page.locator('.deployment').innerText(), /Approved by alice/);
      assert.match(await alice.page.locator('.timeline').innerText(), /approved by alice/);
      await shot(alice.page, '5-canary-succeeded');
      await admin.close();
    } finally {
      stopLoad();
    }
  });

  test('rolls staging back by keyboard and states the measured switch time in plain words', async () => {
    const page = await open();
    await page.goto(stack.url);
    const staging = page.locator('.env[data-env=staging]');
    await staging.locator('[data-action=env-rollback]').waitFor();
    assert.match(await staging.innerText(), /Version 2\.0\.0/);
    // Measured per environment and per way of reverting: none here yet.
    assert.match(
      await staging.locator('.revert-time').innerText(),
      /reverting means switching back to the previous version, which is still running; how long that takes is not yet measured here/,
    );
    await confirmByKeyboard(page, '.env[data-env=staging] [data-action=env-rollback]');
    // After the switch the release rolled away from is retired: the next revert would be a redeploy.
    await waitText(staging.locator('.revert-time'), /reverting means starting the previous version again/);
    assert.match(await staging.innerText(), /Version 1\.0\.0/);
    const speed = await stack.call<{ switchMs: number }>(
      stack.tokens.admin,
      'GET',
      '/api/rollback-speed?env=staging',
    );
    assert.ok(speed.switchMs >= 0);
    await shot(page, '6-rolled-back');
    await page.close();
  });

  test('history filters by environment, result and who; a deployment shows its audit entries', async () => {
    const page = await open();
    await page.goto(`${stack.url}/#/history`);
    await page.waitForSelector('form.filters');
    await page.selectOption('select[name=env]', 'production');
    await page.selectOption('select[name=status]', 'succeeded');
    await page.fill('input[name=by]', 'admin');
    await page.keyboard.press('Enter');
    await page.waitForURL(/env=production/);
    // The filtered table, not the unfiltered one it replaces once its answer arrives.
    await page.waitForSelector('table.history[data-filter*="env=production"] tbody tr');
    const rows = await page.locator('table.history tbody tr').allInnerTexts();
    assert.equal(rows.length, 2, rows.join('\n'));
    for (const r of rows) assert.match(r, /production\s+.*live\s+admin/s);
    await shot(page, '7-history');
    await page.locator('table.history tbody tr a').first().click();
    await page.waitForSelector('.audit li');
    assert.match(await page.locator('.audit').innerText(), /gate\.approve/);
    await page.close();
  });

  test("shows an environment's feature flags; turns one off by keyboard; a viewer sees no button", async () => {
    const flags = {
      flags: {
        'new-checkout': {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', 25],
              ['off', 75],
            ],
          },
        },
      },
    };
    await stack.call(stack.tokens.admin, 'POST', '/api/flags/staging/import', {
      text: JSON.stringify(flags),
      source: 'flags.json',
      reason: 'seed',
    });
    const page = await open();
    await page.goto(stack.url);
    const row = page.locator('.env[data-env=staging] tr[data-flag=new-checkout]');
    await row.waitFor();
    assert.match(await row.innerText(), /25% of users get on/);
    await confirmByKeyboard(
      page,
      '.env[data-env=staging] tr[data-flag=new-checkout] [data-action=flag-kill]',
    );
    await waitText(page.locator('.env[data-env=staging] tr[data-flag=new-checkout]'), /everyone gets off/);
    await shot(page, '7b-flag-off');
    const history = await stack.call<{ action: string; by: string; reason: string }[]>(
      stack.tokens.admin,
      'GET',
      '/api/flags/staging/new-checkout/history',
    );
    assert.deepEqual(
      history.map((v) => [v.action, v.by, v.reason]),
      [
        ['kill', 'admin', 'checked on staging'],
        ['import', 'admin', 'seed'],
      ],
    );
    await page.close();
    const { page: viewer, b } = await signIn(stack.tokens.alice);
    others.push(b);
    const seen = viewer.locator('.env[data-env=staging] tr[data-flag=new-checkout]');
    await seen.waitFor();
    assert.equal(await seen.locator('[data-action=flag-kill]').count(), 0);
    await viewer.close();
  });

  test('without the change stream (refused on the way) the overview polls, and still follows', async () => {
    const page = await open();
    const before = problems.length;
    // A proxy that refuses event streams: the page must notice and poll instead.
    await page.route('**/api/live', (r) => r.fulfill({ status: 503, body: '' }));
    await page.goto(stack.url);
    const row = page.locator('.env[data-env=staging] tr[data-flag=new-checkout]');
    await row.waitFor();
    await waitLive(page, 'polling');
    // A flag change leaves no mark the stream watches either: only polling shows it this soon.
    await stack.call(stack.tokens.admin, 'POST', '/api/flags/staging/import', {
      text: JSON.stringify({
        flags: {
          'new-checkout': {
            state: 'ENABLED',
            variants: { on: true, off: false },
            defaultVariant: 'off',
            targeting: {
              fractional: [
                ['on', 60],
                ['off', 40],
              ],
            },
          },
        },
      }),
      source: 'flags.json',
      reason: 'polling check',
    });
    await waitText(row, /60% of users get on/, 10_000);
    await page.close();
    // The refused stream's own console lines are expected here.
    const refused = problems.splice(before).filter((p) => !/status of 503/.test(p));
    assert.deepEqual(refused, []);
  });

  test('works at a phone width (390×844) without horizontal scrolling', async () => {
    const page = await open();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, name] of [
      ['/', '8-phone-environments'],
      ['/#/history', '9-phone-history'],
    ] as const) {
      await page.goto(stack.url + path);
      await page.waitForSelector(path === '/' ? '.env' : 'table.history');
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      assert.ok(overflow <= 0, `${path}: ${overflow}px of horizontal scroll`);
      await shot(page, name);
    }
    await page.close();
  });

  test('no console errors on any page (but the refusal provoked on purpose)', () => {
    const unexpected = problems.filter((p) => !/status of 403/.test(p));
    assert.deepEqual(unexpected, []);
    assert.equal(problems.length - unexpected.length, expectedRefusals, problems.join('\n'));
  });
});
