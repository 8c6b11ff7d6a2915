/**
 * Approve from the message, end to end in headless Chromium against a real server, agent and
 * instances: a deployment to production waits for approval; its notification reaches a fake Slack
 * incoming webhook (Slack's servers cannot run here; the fake plays its documented contract) with
 * an approve link; the approver follows the link, signs in, approves, and the deployment goes on.
 * The same link opened again, altered, or for another deployment is refused, and every use and
 * refusal is in the audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { fakeSlack } from '../src/notify/slack/fake-slack.ts';
import { closedPort } from '../src/notify/testing.ts';
import { serviceSkip } from '../src/testing.ts';
import { type FreshBrowser, freshBrowser, hasChromium } from '../src/web/browser.ts';
import { DASHBOARD_CONFIG, type DashboardStack, startDashboardStack } from './dashboard-stack.ts';

const skip = serviceSkip('chromium', hasChromium(), 'apt-get install -y chromium');

const until = async <T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('approve from a Slack-style message (fake Slack receiver, headless Chromium)', { skip }, () => {
  let stack: DashboardStack;
  let slack: Awaited<ReturnType<typeof fakeSlack>>;
  let browser: FreshBrowser;
  let page: Page;
  let deployment = '';
  let link = '';

  before(async () => {
    slack = await fakeSlack();
    stack = await startDashboardStack(['1.0.0', '2.0.0']);
    await stack.restartServer(`${DASHBOARD_CONFIG}notifications:
  - name: team-chat
    kind: slack
    url: ${slack.hookUrl}
    events: [deployment.waiting_approval, deployment.succeeded]
    environments: [production]
  - name: gone
    kind: slack
    url: http://127.0.0.1:${await closedPort()}/services/T/B/x
    events: [deployment.waiting_approval]
    attempts: 1
dashboard:
  url: ${stack.url}
  approveLinkTtl: 1h
`);
    browser = await freshBrowser();
    page = await browser.context.newPage();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await slack?.close();
  });

  const audit = async () =>
    (
      await stack.call<{ action: string; actor: string; target: string; data: { reason?: string } }[]>(
        stack.tokens.admin,
        'GET',
        '/api/audit?limit=1000',
      )
    ).filter((e) => e.action.startsWith('approve-link.'));

  test('the message carries the link; the approver signs in through it, approves, and the deployment goes on', async () => {
    const d = await stack.call<{ id: string }>(stack.tokens.dev, 'POST', '/api/deployments', {
      env: 'production',
      release: '1.0.0',
    });
    deployment = d.id;
    const message = await until('the Slack message', () =>
      slack.received.find((r) => r.text.includes('is waiting for approval')),
    );
    assert.match(message.text, /shop 1\.0\.0 is waiting for approval before it goes to production/);
    link = /\[Open the approval page\]\((\S+)\)/.exec(message.text)?.[1] ?? '';
    assert.ok(link.startsWith(`${stack.url}/#/approve/${deployment}?t=`), link);

    await page.goto(link);
    await page.waitForSelector('#token');
    await page.fill('#token', stack.tokens.alice);
    await page.click('form.signin button[type=submit]');
    // The link is used once and replaced by the deployment's page, where the gates decide.
    await page.waitForSelector('[data-action=approve]', { timeout: 20_000 });
    assert.equal(new URL(page.url()).hash, `#/deployments/${deployment}`);
    await page.click('[data-action=approve]');
    await page.waitForSelector('dialog[open]');
    await page.click('#confirm-ok');
    assert.equal(await stack.settle(stack.tokens.dev, deployment, 90_000), 'succeeded');
    await until('the success message', () =>
      slack.received.find((r) => r.text.includes('shop 1.0.0 is live in production')),
    );
    const used = await audit();
    assert.deepEqual(
      used.map((e) => [e.action, e.actor, e.target]),
      [['approve-link.used', 'alice', deployment]],
    );
  });

  test('the same link again, an altered one, one for another deployment: refused and audited', async () => {
    const refusal = async (url: string) => {
      await page.goto('about:blank');
      await page.goto(url);
      await page.waitForSelector('[data-panel=approve-link]');
      return (await page.locator('[data-panel=approve-link] [role=alert]').textContent()) ?? '';
    };
    assert.match(await refusal(link), /used already; each link works once \(by alice at /);
    const altered = link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.match(await refusal(altered), /altered/);
    const other = link.replace(`/approve/${deployment}?`, '/approve/dep-someone-else?');
    assert.match(await refusal(other), /belongs to another deployment/);
    const refused = (await audit()).filter((e) => e.action === 'approve-link.refused');
    // Meanwhile the unreachable subscription gave up after its one try: the overview's panel shows it.
    // (on the engineers' view: an approver starts on the client view, which stays about releases)
    await page.goto(`${stack.url}/#/`);
    await page.waitForSelector('[data-action=switch-view]');
    if ((await page.locator('[data-action=switch-view]').textContent()) === 'Detailed view')
      await page.click('[data-action=switch-view]');
    await page.waitForSelector('[data-panel=dead-letters]', { timeout: 30_000 });
    const panel = (await page.locator('[data-panel=dead-letters]').textContent()) ?? '';
    assert.match(panel, /Notifications that gave up/);
    assert.match(panel, /gone.*deployment\.waiting_approval.*production.*1.*ECONNREFUSED/s);
    assert.ok(!panel.includes('/services/T/B/x'), 'no hook path (a credential) on the page');
    assert.deepEqual(
      refused.map((e) => [e.actor, e.target, e.data.reason]),
      [
        ['alice', deployment, 'used'],
        ['alice', deployment, 'altered'],
        ['alice', 'dep-someone-else', 'another deployment'],
      ],
    );
  });
});
