/**
 * Approve links: a notification about a deployment waiting for approval carries
 * `<dashboard>/#/approve/<deployment>?t=<nonce>.<expires>.<mac>`, the MAC an HMAC-SHA256 over
 * deployment, nonce and expiry with the store's own key. The token is in the URL's fragment, so no
 * server or proxy log sees it. The link only opens the approval page: the approver still signs in
 * and the gates still decide. Each link works once (the store records its use); one used twice,
 * expired, altered or opened for another deployment is refused, and the refusal is audited.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** One issued link, as the store keeps it. */
export interface ApproveLink {
  readonly nonce: string;
  readonly deploymentId: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly usedBy: string | null;
}

/** The store's side: the signing key, and each link's single use. */
export interface ApproveLinkStore {
  /** The key links are signed with; made once per store (migration 10). */
  key(): Promise<Buffer>;
  issue(link: { nonce: string; deploymentId: string; expiresAt: string }): Promise<void>;
  find(nonce: string): Promise<ApproveLink | undefined>;
  /** Mark it used by `user`; false when it was used already (two tabs at once: one wins). */
  use(nonce: string, user: string): Promise<boolean>;
}

const mac = (key: Buffer, deploymentId: string, nonce: string, expires: number) =>
  createHmac('sha256', key).update(`${deploymentId}.${nonce}.${expires}`).digest('base64url');

export function approveToken(key: Buffer, deploymentId: string, nonce: string, expiresMs: number): string {
  return `${nonce}.${expiresMs}.${mac(key, deploymentId, nonce, expiresMs)}`;
}

/** Issue a link for a deployment: recorded in the store, returned as the dashboard URL. */
export async function issueApproveLink(
  store: ApproveLinkStore,
  dashboardUrl: string,
  deploymentId: string,
  ttlMs: number,
  now = Date.now(),
): Promise<{ url: string; expiresAt: string }> {
  const nonce = randomBytes(12).toString('base64url');
  const expires = now + ttlMs;
  const expiresAt = new Date(expires).toISOString();
  await store.issue({ nonce, deploymentId, expiresAt });
  const token = approveToken(await store.key(), deploymentId, nonce, expires);
  const base = dashboardUrl.replace(/\/+$/, '');
  return { url: `${base}/#/approve/${encodeURIComponent(deploymentId)}?t=${token}`, expiresAt };
}

export type LinkRefusal = 'malformed' | 'altered' | 'another deployment' | 'expired' | 'used';

export const REFUSAL_WORDS: Record<LinkRefusal, string> = {
  malformed: 'this is not an approve link (it was cut or altered)',
  altered: 'this approve link was altered; its signature does not match',
  'another deployment': 'this approve link belongs to another deployment',
  expired: 'this approve link has expired',
  used: 'this approve link was used already; each link works once',
};

/**
 * Check a link and, when it is good, use it up for `user`. Pure of I/O except the store; the
 * caller audits both outcomes.
 */
export async function redeemApproveLink(
  store: ApproveLinkStore,
  deploymentId: string,
  token: string,
  user: string,
  now = Date.now(),
): Promise<{ ok: true; link: ApproveLink } | { ok: false; why: LinkRefusal; link?: ApproveLink }> {
  const m = /^([A-Za-z0-9_-]{8,64})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, why: 'malformed' };
  const [, nonce = '', exp = '', sig = ''] = m;
  const link = await store.find(nonce);
  const expected = Buffer.from(mac(await store.key(), deploymentId, nonce, Number(exp)));
  const good = expected.length === sig.length && timingSafeEqual(expected, Buffer.from(sig));
  if (link && link.deploymentId !== deploymentId) return { ok: false, why: 'another deployment', link };
  if (!good || !link || Date.parse(link.expiresAt) !== Number(exp)) return { ok: false, why: 'altered' };
  if (Number(exp) <= now) return { ok: false, why: 'expired', link };
  if (link.usedAt) return { ok: false, why: 'used', link };
  if (!(await store.use(nonce, user))) return { ok: false, why: 'used', link };
  return { ok: true, link };
}
