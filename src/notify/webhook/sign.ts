/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${id}.${timestamp}.${body}` with the secret's bytes (base64 after an optional `whsec_`),
 * sent as `v1,<base64>`. Hand-written on node:crypto (a dozen lines, the spec's whole signing
 * side); the tests verify with the reference library `standardwebhooks`, so the two cannot drift.
 */
import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';

/** The key bytes of a Standard Webhooks secret; undefined when it is not base64 of at least 16 bytes. */
export function secretBytes(secret: string): Buffer | undefined {
  const text = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length >= 16 ? bytes : undefined;
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

export function signWebhook(key: Buffer, id: string, timestampSec: number, body: string): SignedHeaders {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSec), 'webhook-signature': `v1,${mac}` };
}
