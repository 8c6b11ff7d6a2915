// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright's Locator.innerText (the rendered text a reader sees), not the DOM property
/**
 * The client's whole path in headless Chromium against a real server, agent and instances: a
 * non-engineer (an approver) signs in, opens staging, accepts the release there, approves
 * production outside its deploy window (and reads when it will go live), watches it go live in
 * plain words, reads the revert time measured on production, presses the emergency "Revert now"
 * and sees "reverted" in history. No engineer word reaches the client view; screenshots are kept
 * in test-artifacts/client-seat/ (not committed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, serviceSkip } from '../src/testing.ts';
import { type FreshBrowser, freshBrowser, hasChromium, recordProblems } from '../src/web/browser.ts';
import { engineerWordsIn } from '../src/web/engineer-words.ts';
import { type DashboardStack, startDashboardStack } from './dashboard-stack.ts';

async function waitText(locator: Locator, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await locator.innerText().catch(() => '');
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`no ${pattern} in: ${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
/** The reader is in India (UTC+5:30) with British English: every time shown is theirs, not the server's. */
const READER = { locale: 'en-GB', timezoneId: 'Asia/Kolkata' };

/** slipway.yaml: staging asks the client's acceptance; production follows it, with a window. */
function config(production: { window?: string; watch?: string }): string {
  return `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
config:
  require: { GREETING: string }
  values: { GREETING: hello }
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    acceptance: { by: approver }
  production:
    after: staging
    profile: fast
    approval: { required: 1, role: approver, selfApproval: false }
    strategy: { blue-green: { warmFor: 10m } }
    revert: { by: approver }
${production.watch ? `    watch: ${production.watch}\n` : ''}${production.window ? `    windows: { timezone: UTC, policy: none, allow: ["${production.window}"] }\n` : ''}`;
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
const artifacts = join(repoRoot, 'test-artifacts', 'client-seat');

describe('the client seat in headless Chromium (real server, agent and instances)', { skip }, () => {
  let stack: DashboardStack;
  let browser: FreshBrowser;
  let page: Page;
  const problems: string[] = [];
  let opensAt = 0;
  const shot = (name: string, p: Page = page) =>
    p.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const clean = async (where: string) => {
    const text = await page.locator('#main').innerText();
    assert.deepEqual(engineerWordsIn(text), [], `${where}: ${text}`);
  };
  const confirm = async (reason?: string): Promise<string> => {
    await page.waitForSelector('dialog[open]');
    const text = await page.locator('dialog[open]').innerText();
    if (reason) await page.fill('dialog[open] textarea', reason);
    await page.click('#confirm-ok');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
    return text;
  };

  /** The CLI in remote mode (SLIPWAY_URL + SLIPWAY_TOKEN), as its own process. */
  const remoteCli = (token: string, ...argv: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
        { cwd: stack.dir, env: { ...process.env, SLIPWAY_URL: stack.url, SLIPWAY_TOKEN: token } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    stack = await startDashboardStack(['0.9.0', '1.0.0', '2.0.0'], {
      config: config({}),
      users: [['carol', 'approver', '*']],
    });
    const { dev, carol } = stack.tokens as Record<string, string>;
    const settled = async (env: string, release: string, approver?: string) => {
      const d = await stack.call<{ id: string }>(dev as string, 'POST', '/api/deployments', { env, release });
      if (approver) await stack.call(approver, 'POST', `/api/deployments/${d.id}/approve`, {});
      assert.equal(await stack.settle(dev as string, d.id), 'succeeded');
    };
    // Production's history: 0.9.0, then 1.0.0, each tried and accepted on staging first.
    await settled('staging', '0.9.0');
    await stack.call(carol as string, 'POST', '/api/environments/staging/acceptance', { release: '0.9.0' });
    await settled('production', '0.9.0', carol);
    // 1.0.0 is accepted with the CLI, through the server, as the token's user.
    await settled('staging', '1.0.0');
    const refused = await remoteCli(carol as string, 'accept', '1.0.0', '--env', 'staging', '--reject');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /a rejection needs a reason: --reject --reason/);
    const accepted = await remoteCli(carol as string, 'accept', '1.0.0', '--env', 'staging');
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(
      accepted.stdout,
      /^accepted 1\.0\.0 on staging as carol; the next environment may take it now\nOpen staging: http:\/\/127\.0\.0\.1:\d+\/\n$/,
    );
    await settled('production', '1.0.0', carol);
    // A revert drill on production: a switch back (measured), then 1.0.0 again by a redeploy.
    const drill = await stack.call<{ kind: string }>(
      dev as string,
      'POST',
      '/api/environments/production/rollback',
      {
        reason: 'revert drill',
      },
    );
    assert.equal(drill.kind, 'switch');
    const again = await stack.call<{ kind: string; deployment: { id: string } }>(
      dev as string,
      'POST',
      '/api/environments/production/rollback',
      { to: '1.0.0', reason: 'end of the drill' },
    );
    assert.equal(again.kind, 'redeploy');
    assert.equal(await stack.settle(dev as string, again.deployment.id), 'succeeded');
    await settled('staging', '2.0.0');
    // Production's deploy window opens at the first whole minute (UTC) at least 45 s away, time
    // enough for the tests that need it closed (about 15 s, more on a busy machine), and stays
    // open for an hour.
    const start = new Date(Math.ceil((Date.now() + 45_000) / 60_000) * 60_000);
    opensAt = start.getTime();
    const from = start.getUTCHours() * 60 + start.getUTCMinutes();
    const to = Math.min(from + 60, 24 * 60 - 1);
    const window = `Mon-Sun ${pad(Math.floor(from / 60))}:${pad(from % 60)}-${pad(Math.floor(to / 60))}:${pad(to % 60)}`;
    await stack.restartServer(config({ window, watch: '15s' }));
    browser = await freshBrowser(undefined, READER);
    page = await browser.context.newPage();
    recordProblems(page, problems);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('a non-engineer signs in and gets the client view; staging opens from the dashboard', async () => {
    await page.goto(stack.url);
    await page.waitForSelector('#token:focus');
    await page.keyboard.type((stack.tokens as Record<string, string>).carol as string);
    await page.keyboard.press('Enter');
    const staging = page.locator('.env[data-env=staging]');
    await staging.waitFor();
    assert.equal(await page.locator('[data-action=switch-view]').innerText(), 'Detailed view');
    assert.match(await staging.locator('.headline').innerText(), /^Visitors get version 2\.0\.0\.$/);
    const open = staging.locator('a.open');
    assert.equal(await open.innerText(), 'Open staging');
    const [tab] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
    await tab.waitForLoadState();
    assert.match(await tab.locator('body').innerText(), /"version":\s*"2\.0\.0"/);
    await shot('1-staging-opened', tab);
    await tab.close();
    await shot('2-client-environments');
    await clean('environments');
    // The overview follows the server's change stream (it polls only while that is down).
    await waitLive(page, 'stream');
  });

  test('the client accepts 2.0.0 on staging; production then takes it, showing who accepted it', async () => {
    const staging = page.locator('.env[data-env=staging]');
    assert.match(
      await staging.innerText(),
      /Version 2\.0\.0 is ready for you to try: it went live on staging on \w{3} \d{1,2} \w{3}, \d\d:\d\d and passed every check there\./,
    );
    await staging.locator('[data-action=accept]').click();
    assert.match(await confirm(), /You tried version 2\.0\.0 on staging/);
    await waitText(staging.locator('.acceptance'), /^Accepted by carol on \w{3} \d{1,2} \w{3}, \d\d:\d\d\.$/);
    const accepted = await stack.call<{ accepted: { by: string; version: string } }>(
      (stack.tokens as Record<string, string>).carol as string,
      'GET',
      '/api/environments/staging/client',
    );
    assert.deepEqual([accepted.accepted.by, accepted.accepted.version], ['carol', '2.0.0']);
    await shot('3-accepted');
  });

  test('the client rehearses switching back on staging, measured and said as a rehearsal', async () => {
    const staging = page.locator('.env[data-env=staging]');
    await staging.locator('[data-action=rehearse-revert]').click();
    assert.match(
      await confirm(),
      /Everyone on staging is sent back to version 1\.0\.0 and then at once to version 2\.0\.0 again/,
    );
    await waitText(
      staging.locator('.revert-time'),
      /it was not yet needed here, but a rehearsal here took (\d+ ms|under a millisecond) \(\w{3} \d{1,2} \w{3}, \d\d:\d\d\)\./,
    );
    assert.match(await staging.locator('.headline').innerText(), /^Visitors get version 2\.0\.0\.$/);
    await shot('3b-rehearsed');
    await clean('environments after a rehearsal');
  });

  test('approving outside the window says when it goes live, how long, and that it stays', async () => {
    assert.ok(Date.now() < opensAt - 10_000, 'the window must still be closed for this test');
    const dev = (stack.tokens as Record<string, string>).dev as string;
    await stack.call(dev, 'POST', '/api/deployments', { env: 'production', release: '2.0.0' });
    const production = page.locator('.env[data-env=production]');
    // Shown without reloading, well before the slow safety refresh (30 s): the change stream.
    await waitText(
      production,
      /Version 2\.0\.0 waits for your approval to go live on production\. It was accepted on staging by carol on .+\. Once approved it goes live on \w+ \d\d:\d\d, when the deploy window opens\./,
      10_000,
    );
    await shot('4-production-waiting-for-approval');
    await production.locator('a.button.primary').click();
    await page.waitForSelector('.deployment.client [data-action=approve]');
    await clean('deployment waiting for approval');
    await page.click('[data-action=approve]');
    await page.waitForSelector('dialog[open]');
    await shot('5-approve-dialog');
    const text = await confirm();
    const clock = new Date(opensAt).toLocaleTimeString(READER.locale, {
      hour: '2-digit',
      minute: '2-digit',
      timeZone: READER.timezoneId,
    });
    assert.match(
      text,
      new RegExp(
        `If you approve version 2\\.0\\.0, it goes live on production on \\w+ ${clock}, when the deploy window opens; it takes about \\d+ seconds to finish\\. Your decision is recorded with your name and cannot be withdrawn`,
      ),
    );
    assert.match(text, /reverting means/);
    await waitText(
      page.locator('.status'),
      new RegExp(`Version 2\\.0\\.0 is approved by carol; it goes live on \\w+ ${clock}\\.`),
    );
    await shot('6-approved-waiting-for-window');
    await page.click('a[href="#/"]');
    await waitText(
      page.locator('.env[data-env=production]'),
      new RegExp(`approved by carol; it goes live on \\w+ ${clock}`),
    );
    await clean('environments while waiting for the window');
  });

  test('it goes live when the window opens, in plain words', async () => {
    await page.locator('.env[data-env=production] a.button.primary').click();
    await page.waitForSelector('.deployment.client');
    const stopLoad = await stack.load('production', 200);
    try {
      await waitText(page.locator('.steps'), /Watching for problems \(under a minute left\)/, 240_000);
      assert.match(
        await page.locator('.status').innerText(),
        /Version 2\.0\.0 is being put live: 100% of visitors see it now\./,
      );
      await shot('7-watching-for-problems');
      await clean('deployment during the watch');
      await waitText(page.locator('.status'), /^Version 2\.0\.0 is live on production\.$/, 60_000);
      assert.equal(await page.locator('.health').innerText(), 'No problems found while it was watched.');
      const steps = await page.locator('.steps').innerText();
      assert.match(
        steps,
        /Checking the new version[\s\S]*Showing it to all visitors[\s\S]*Watching for problems[\s\S]*Done/,
      );
      assert.match(await page.locator('.timeline').innerText(), /Approved by carol/);
      await shot('8-live');
      await clean('deployment live');
    } finally {
      stopLoad();
    }
  });

  test('the revert time shown is the one measured on production; the client reverts now', async () => {
    await page.click('a[href="#/"]');
    const production = page.locator('.env[data-env=production]');
    await waitText(production.locator('.headline'), /^Visitors get version 2\.0\.0\.$/);
    const line = await production.locator('.revert-time').innerText();
    assert.match(
      line,
      /reverting means switching back to the previous version, which is still running: it took (\d+ ms|under a millisecond) here \(measured \w{3} \d{1,2} \w{3}, \d\d:\d\d\)\. Also, a rehearsal on staging took/,
    );
    const carol = (stack.tokens as Record<string, string>).carol as string;
    const info = await stack.call<{ revert: { measured: { deployment: string } } }>(
      carol,
      'GET',
      '/api/environments/production/client',
    );
    const measuredOn = await stack.call<{ deployment: { env: string; strategy: string } }>(
      carol,
      'GET',
      `/api/deployments/${info.revert.measured.deployment}`,
    );
    assert.deepEqual([measuredOn.deployment.env, measuredOn.deployment.strategy], ['production', 'switch']);
    await shot('9-revert-time-on-production');
    await production.locator('[data-action=revert-now]').click();
    const text = await confirm('the checkout page is blank');
    assert.match(
      text,
      /Every visitor goes back to version 1\.0\.0\. .*This happens at once, whatever the deploy window/s,
    );
    await waitText(production.locator('.headline'), /^Visitors get version 1\.0\.0\.$/);
    await shot('10-reverted');
  });

  test('history says reverted, lists the revert and the people who decided', async () => {
    await page.click('a[href="#/history"]');
    await page.waitForSelector('table.history.client tbody tr');
    await page.selectOption('select[name=env]', 'production');
    await page.click('form.filters button');
    await page.waitForSelector('table.history.client[data-filter*="env=production"] tbody tr');
    const rows = await page.locator('table.history tbody tr').allInnerTexts();
    assert.match(rows[0] ?? '', /production\s+Revert to version 1\.0\.0\s+live\s+carol/);
    assert.match(rows[1] ?? '', /production\s+Version 2\.0\.0\s+reverted\s+carol/);
    assert.ok(
      rows.some((r) => /Revert to version 0\.9\.0\s+reverted\s+dev/.test(r)),
      rows.join('\n'),
    );
    await shot('11-history');
    await clean('history');
    // The engineers' detailed view stays one click away.
    await page.click('[data-action=switch-view]');
    await page.waitForSelector('table.history:not(.client)');
    assert.equal(await page.locator('[data-action=switch-view]').innerText(), 'Client view');
  });

  test('no console errors', () => {
    assert.deepEqual(problems, []);
  });
});
