// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright's Locator.innerText (the rendered text a reader sees), not the DOM property
/**
 * The contract phase on the dashboard, in headless Chromium against a real server, agent and
 * PostgreSQL: the staging card shows the contract migration its live release held back; an
 * approver confirms by keyboard, the migration runs, and the card no longer offers it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, pgAvailable, query } from '../src/migrations/testing.ts';
import { serviceSkip } from '../src/testing.ts';
import { type FreshBrowser, freshBrowser, hasChromium } from '../src/web/browser.ts';
import { DASHBOARD_CONFIG, type DashboardStack, startDashboardStack } from './dashboard-stack.ts';

const skip =
  serviceSkip('chromium', hasChromium(), 'apt-get install -y chromium') ||
  serviceSkip(
    'PostgreSQL',
    await pgAvailable(),
    'start PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres)',
  );

describe('the contract phase on the dashboard (real server, agent, PostgreSQL, Chromium)', { skip }, () => {
  let stack: DashboardStack;
  let browser: FreshBrowser;
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  before(async () => {
    db = await freshDatabase();
    // The example app's own migrations: 0001 create, 0002 expand, 0003 contract after 2.0.0.
    const config = DASHBOARD_CONFIG.replace(
      'environments:\n',
      'migrations: { dir: migrations, database: DATABASE_URL }\nenvironments:\n',
    ).replace(
      'config: { values: { DEMO_BANNER: "on" } }',
      `config: { values: { DEMO_BANNER: "on", DATABASE_URL: "${db.url}" } }`,
    );
    stack = await startDashboardStack(['1.0.0', '2.0.0', '3.0.0'], { config });
    for (const release of ['1.0.0', '2.0.0', '3.0.0']) {
      const d = await stack.call<{ id: string }>(stack.tokens.dev, 'POST', '/api/deployments', {
        env: 'staging',
        release,
      });
      assert.equal(await stack.settle(stack.tokens.dev, d.id), 'succeeded', release);
    }
    browser = await freshBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await db?.drop();
  });

  test('an approver sees the held contract migration and runs it by keyboard', async () => {
    const columns = async () =>
      (
        await query(
          db.url,
          "SELECT column_name FROM information_schema.columns WHERE table_name = 'products'",
        )
      ).rows.map((r) => r.column_name as string);
    assert.ok((await columns()).includes('note'), 'held back by the deployments');
    const problems: string[] = [];
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(stack.url);
    await page.waitForSelector('#token:focus');
    await page.keyboard.type(stack.tokens.admin);
    await page.keyboard.press('Enter');
    const card = page.locator('.env[data-env=staging] .contract');
    await card.waitFor();
    assert.match(
      await card.innerText(),
      /Version 3\.0\.0 holds contract migrations \(0003_drop_products_note\.sql\): they remove what older versions still use/,
    );
    await page.focus('[data-action=approve-contract]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    await page.keyboard.type('3.0.0 verified');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'confirm-ok');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.env[data-env=staging] .contract', { state: 'detached', timeout: 30_000 });
    assert.ok(!(await columns()).includes('note'), 'the contract migration ran');
    const audit = await stack.call<{ action: string; data: { reason?: string; via?: string } }[]>(
      stack.tokens.admin,
      'GET',
      '/api/audit?limit=1000',
    );
    const go = audit.find((e) => e.action === 'migrations.contract.approved');
    assert.equal(go?.data.reason, '3.0.0 verified');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
