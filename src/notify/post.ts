/**
 * One JSON POST to a receiver, shared by the webhook and Slack notifiers: a timeout, no redirects
 * followed, errors that name the subscription and the receiver's origin only (a Slack URL's path
 * is its credential), 413 as a permanent refusal.
 */
import { undiciRequest } from '../http/undici.ts';
import { PermanentDeliveryError } from './contract.ts';

export async function post(
  where: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = 10_000,
): Promise<string> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new Error(`${where}: the receiver's URL is not a URL; expected http(s)://…`);
  }
  // Loaded before the clock starts: the first load is not the receiver's time.
  const request = undiciRequest();
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    // undici's request over its keep-alive pool, not fetch: half the CPU per POST (bench/notify-fanout.ts).
    // It follows no redirect: a 3xx is an answer like any other non-2xx.
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal,
    });
    status = response.statusCode;
    text = (await response.body.text().catch(() => '')).slice(0, 200);
  } catch (error) {
    const e = error as Error & { code?: string; cause?: { code?: string } };
    const why = signal.aborted ? `no answer within ${timeoutMs} ms` : (e.code ?? e.cause?.code ?? e.message);
    throw new Error(`${where}: POST ${origin} failed: ${why}`);
  }
  if (status === 413)
    throw new PermanentDeliveryError(
      `${where}: the receiver refused the message as too large (HTTP 413); no retry can fix it`,
    );
  if (status < 200 || status > 299)
    throw new Error(
      `${where}: the receiver answered HTTP ${status}${/^[\w .:-]{1,80}$/.test(text) ? ` (${text})` : ''}`,
    );
  return text;
}
