/**
 * One JSON POST to a receiver, shared by the webhook and Slack notifiers: a timeout, no redirects
 * followed, errors that name the subscription and the receiver's origin only (a Slack URL's path
 * is its credential), 413 as a permanent refusal.
 */
import { PermanentDeliveryError } from './contract.ts';

export async function post(
  where: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs = 10_000,
): Promise<string> {
  let response: Response;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new Error(`${where}: the receiver's URL is not a URL; expected http(s)://…`);
  }
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new Error(`${where}: POST ${origin} failed: ${why}`);
  }
  const text = (await response.text().catch(() => '')).slice(0, 200);
  if (response.status === 413)
    throw new PermanentDeliveryError(
      `${where}: the receiver refused the message as too large (HTTP 413); no retry can fix it`,
    );
  if (response.status < 200 || response.status > 299)
    throw new Error(
      `${where}: the receiver answered HTTP ${response.status}${/^[\w .:-]{1,80}$/.test(text) ? ` (${text})` : ''}`,
    );
  return text;
}
