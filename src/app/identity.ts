/**
 * The one identity rule the app enforces on every path: a store with server users belongs to the
 * server, so its decisions (approve, reject, checklist ticks, overrides) are made through the
 * server with a token, where the user is the token's and the roles are the server's grants. A
 * local CLI names its user itself (the OS user, or SLIPWAY_USER in development), which nothing
 * vouches for, so on such a store it may not decide, and SLIPWAY_USER is not honoured at all.
 */
import { type IdentitySource, isLocalIdentity } from '../domain/auth.ts';
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';

/** True when the store has users of its own (created by `server --init` or `slipway user add`). */
export async function hasServerUsers(store: Pick<Store, 'listUsers'>): Promise<boolean> {
  return (await store.listUsers()).length > 0;
}

/**
 * Refuses a local identity where the server owns the store: always for a decision (`what` names
 * it), and for anything when the identity came from SLIPWAY_USER. Identities from the server
 * (token, session) and unstated ones (the engine, tests of the app alone) pass.
 */
export async function requireTrustedActor(
  store: Pick<Store, 'listUsers'>,
  via: IdentitySource | undefined,
  what: { readonly decision: boolean; readonly text: string },
): Promise<void> {
  if (!isLocalIdentity(via)) return;
  if (!what.decision && via !== 'SLIPWAY_USER') return;
  if (!(await hasServerUsers(store))) return;
  if (what.decision)
    throw new AppError(
      'DECISION_NEEDS_SERVER',
      `${what.text} is refused here: this store has server users, so decisions are made through the server with your own token, where four-eyes and the grants apply. ` +
        'Set SLIPWAY_URL and SLIPWAY_TOKEN (an admin creates a token with `slipway token create --user NAME`) and run the same command',
    );
  throw new AppError(
    'IDENTITY_REFUSED',
    `SLIPWAY_USER is not honoured on a store with server users (${what.text}); unset it to act as the OS user, or act through the server with your token (SLIPWAY_URL + SLIPWAY_TOKEN)`,
  );
}
