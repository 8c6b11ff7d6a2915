/**
 * API tokens and session ids: random secrets shown once, stored only as SHA-256 hashes. A token is
 * `slw_<43 base64url chars>` (256 bits), so a plain hash is enough: there is nothing to brute-force.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '../../domain/auth.ts';
import { AppError } from '../../domain/errors.ts';
import type { Store } from '../../store/contract.ts';

export const TOKEN_PREFIX = 'slw_';

export const hashSecret = (secret: string): string =>
  `sha256:${createHash('sha256').update(secret).digest('hex')}`;

export const newSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface IssueInput {
  readonly user: string;
  readonly name: string;
  /** Days until it expires; null never (not offered by the API or CLI, only for tests). */
  readonly expiresInDays: number | null;
  readonly by: string;
  readonly now?: Date;
}

/** Create a token for an existing user; the secret is in the result and nowhere else. */
export async function issueToken(
  store: Store,
  input: IssueInput,
): Promise<{ token: ApiToken; secret: string }> {
  if (!(await store.getUser(input.user)))
    throw new AppError(
      'USER_NOT_FOUND',
      `no user "${input.user}"; create it first with \`slipway user add ${input.user} --role viewer\``,
    );
  const secret = `${TOKEN_PREFIX}${newSecret()}`;
  const now = input.now ?? new Date();
  const expiresAt =
    input.expiresInDays === null
      ? null
      : new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString();
  const token = await store.createToken({
    id: `tok-${randomBytes(6).toString('hex')}`,
    user: input.user,
    name: input.name,
    hash: hashSecret(secret),
    expiresAt,
  });
  await store.appendAudit({
    actor: input.by,
    action: 'token.create',
    target: token.id,
    data: { user: input.user, name: input.name, expiresAt },
  });
  return { token, secret };
}

/** The live token for a secret, or an UNAUTHORIZED error saying what is wrong with it. */
export async function checkToken(store: Store, secret: string, now: Date): Promise<ApiToken> {
  const token = secret.startsWith(TOKEN_PREFIX)
    ? await store.findToken({ hash: hashSecret(secret) })
    : undefined;
  if (!token) throw new AppError('UNAUTHORIZED', 'the token is not known; check SLIPWAY_TOKEN or create one');
  if (token.revokedAt)
    throw new AppError(
      'UNAUTHORIZED',
      `token ${token.id} was revoked at ${token.revokedAt}; ask an admin for a new one`,
    );
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime())
    throw new AppError(
      'UNAUTHORIZED',
      `token ${token.id} expired at ${token.expiresAt}; ask an admin for a new one`,
    );
  return token;
}
