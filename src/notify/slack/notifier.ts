/**
 * Slack-compatible incoming webhooks: a POST of `{ text, blocks }` in plain words (Block Kit:
 * section blocks, a button for the approve link); `text` is the fallback Slack shows in
 * notifications. The URL is a credential (it names the channel and carries the token): it may
 * come from the secret store (`urlSecret`), and errors name only its origin.
 */
import type { NotificationSubscription } from '../../config/notifications.ts';
import type { Delivery, Notifier, NotifierTimeouts, SecretReader } from '../contract.ts';
import { post } from '../post.ts';
import { type Words, wordsOf } from '../words.ts';

export interface SlackOptions extends NotifierTimeouts {
  readonly secret: SecretReader;
}

/** Slack's documented limits: a section's text up to 3000 characters, a button's up to 75. */
const SECTION_MAX = 3000;
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
/** mrkdwn treats &, < and > as markup: escape them as Slack documents. */
const escapeMrkdwn = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function slackMessage(words: Words): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*${escapeMrkdwn(words.title)}*`, SECTION_MAX) } },
  ];
  if (words.lines.length > 0)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(words.lines.map(escapeMrkdwn).join('\n'), SECTION_MAX) },
    });
  if (words.link)
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: clip(words.link.label, 75) },
          url: words.link.url,
          style: 'primary',
        },
      ],
    });
  return { text: clip(words.title, SECTION_MAX), blocks };
}

export function createSlackNotifier(options: SlackOptions): Notifier {
  return {
    name: 'slack',
    async send(delivery: Delivery, sub: NotificationSubscription) {
      const where = `notifications "${sub.name}"`;
      let url = sub.url;
      if (!url && sub.urlSecret) {
        const ref = sub.urlSecret;
        url = await options.secret(ref);
        if (url === undefined)
          throw new Error(
            `${where}: no secret ${ref.key} in environment ${ref.env}; set the incoming webhook URL with \`slipway secret set ${ref.env} ${ref.key}\``,
          );
        if (!/^https?:\/\/\S+$/.test(url))
          throw new Error(
            `${where}: secret ${ref.env}/${ref.key} is not an http(s) URL; set the incoming webhook URL`,
          );
      }
      if (!url) throw new Error(`${where}: kind slack needs url or urlSecret in slipway.yaml`);
      const body = JSON.stringify(slackMessage(wordsOf(delivery.payload)));
      // Slack ignores unknown headers; a Slack-compatible receiver may dedupe retries by this one.
      await post(
        where,
        url,
        body,
        { 'user-agent': 'slipway-slack', 'x-slipway-delivery': delivery.id },
        options.timeoutMs,
      );
    },
  };
}
