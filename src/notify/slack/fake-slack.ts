/**
 * A fake Slack incoming webhook (Slack's servers cannot run here). It plays the documented
 * contract: a JSON POST with a non-empty `text` (also the fallback when `blocks` are sent), at most
 * 50 blocks, section texts of at most 3000 characters, buttons with plain_text labels of at most
 * 75 and URLs of at most 3000; answers `ok` (200), or 400 `invalid_payload` / `no_text` as Slack does.
 */
import type { IncomingMessage } from 'node:http';
import type { Received } from '../contract.case.test.ts';
import { type HttpReceiver, httpReceiver } from '../testing.ts';

type Block = {
  type?: unknown;
  text?: { type?: unknown; text?: unknown };
  elements?: { type?: unknown; text?: { type?: unknown; text?: unknown }; url?: unknown }[];
};

/** Why Slack would refuse this body, or undefined. */
export function slackRefusal(body: string): string | undefined {
  let msg: { text?: unknown; blocks?: unknown };
  try {
    msg = JSON.parse(body) as typeof msg;
  } catch {
    return 'invalid_payload';
  }
  if (typeof msg.text !== 'string' || msg.text.trim() === '') return 'no_text';
  if (msg.blocks === undefined) return undefined;
  if (!Array.isArray(msg.blocks) || msg.blocks.length > 50) return 'invalid_blocks';
  for (const b of msg.blocks as Block[]) {
    if (b.type === 'section') {
      if (!b.text || !['mrkdwn', 'plain_text'].includes(b.text.type as string)) return 'invalid_blocks';
      if (typeof b.text.text !== 'string' || b.text.text.length === 0 || b.text.text.length > 3000)
        return 'invalid_blocks';
    } else if (b.type === 'actions') {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25)
        return 'invalid_blocks';
      for (const e of b.elements) {
        if (e.type !== 'button' || e.text?.type !== 'plain_text') return 'invalid_blocks';
        if (typeof e.text.text !== 'string' || e.text.text.length > 75) return 'invalid_blocks';
        if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000))
          return 'invalid_blocks';
      }
    } else return 'invalid_blocks';
  }
  return undefined;
}

/** The words a person sees: the fallback text, each section and each button with its link. */
export function slackText(body: string): string {
  const msg = JSON.parse(body) as { text: string; blocks?: Block[] };
  const parts = [msg.text];
  for (const b of msg.blocks ?? []) {
    if (typeof b.text?.text === 'string') parts.push(b.text.text);
    for (const e of b.elements ?? []) parts.push(`[${e.text?.text}](${e.url})`);
  }
  // mrkdwn escapes, as Slack renders them.
  return parts.join('\n').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** The fake's receiver; its URL has a path like a real incoming webhook's, whose secret part a test can check for leaks. */
export async function fakeSlack(
  token = 'T000/B000/XXXXXXXX',
): Promise<HttpReceiver & { readonly hookUrl: string }> {
  const r = await httpReceiver((req: IncomingMessage, body) => {
    if (req.url !== `/services/${token}`) return { status: 404, text: 'no_service' };
    if (!/^application\/json/.test(req.headers['content-type'] ?? ''))
      return { status: 400, text: 'invalid_payload' };
    const refused = slackRefusal(body);
    if (refused) return { status: 400, text: refused };
    const record: Received = { key: String(req.headers['x-slipway-delivery'] ?? ''), text: slackText(body) };
    return { status: 200, text: 'ok', record };
  });
  return Object.assign(r, { hookUrl: `${r.url}/services/${token}` });
}
