/**
 * The Slack notifier against the Notifier contract, at a fake Slack (Slack's servers cannot run
 * here) that plays the documented incoming-webhook contract; the URL comes from the secret store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runNotifierContract } from '../contract.case.test.ts';
import { closedPort } from '../testing.ts';
import { fakeSlack, slackRefusal } from './fake-slack.ts';
import { createSlackNotifier, slackMessage } from './notifier.ts';

const TOKEN = 'T0CONTRACT/B0CONTRACT/s3cr3tW3bh00kT0k3n';

runNotifierContract({
  name: 'slack (fake Slack receiver)',
  plainWords: true,
  async create({ timeoutMs }) {
    const slack = await fakeSlack(TOKEN);
    const down = `http://127.0.0.1:${await closedPort()}/services/${TOKEN}`;
    const sub = {
      name: 'contract',
      kind: 'slack' as const,
      urlSecret: { env: 'production', key: 'SLACK_WEBHOOK_URL' },
      events: [],
      attempts: 3,
    };
    return {
      notifier: createSlackNotifier({
        secret: async (ref) => (ref.key === 'SLACK_WEBHOOK_URL' ? slack.hookUrl : down),
        timeoutMs,
      }),
      subscription: sub,
      unreachable: { ...sub, urlSecret: { env: 'production', key: 'DOWN' } },
      credentials: [TOKEN, 's3cr3tW3bh00kT0k3n'],
      received: () => slack.received,
      mode: (m) => {
        slack.mode = m;
      },
      close: () => slack.close(),
    };
  },
});

test('fake Slack: a message Slack would refuse is refused, so the notifier cannot pass with one', () => {
  assert.equal(slackRefusal('{"blocks":[]}'), 'no_text');
  assert.equal(
    slackRefusal(
      JSON.stringify({
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
      }),
    ),
    'invalid_blocks',
  );
  const long = slackMessage({
    title: 't'.repeat(5000),
    lines: ['l'.repeat(5000)],
    link: { url: 'https://x/y', label: 'b'.repeat(100) },
  });
  assert.equal(slackRefusal(JSON.stringify(long)), undefined, 'slipway clips to Slack’s limits');
});
