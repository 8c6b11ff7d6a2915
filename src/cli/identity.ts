/**
 * Who acts, for the local CLI. The OS user running slipway is the identity; SLIPWAY_USER may name
 * another one only where slipway.yaml allows it for development (`identity.allowSlipwayUser`),
 * because anyone can set an environment variable. A store with server users goes further: its
 * decisions are the server's (src/app/identity.ts refuses them here), whoever the CLI says it is.
 */
import { userInfo } from 'node:os';
import type { SlipwayConfig } from '../config/schema.ts';
import type { IdentitySource } from '../domain/auth.ts';
import { AppError } from '../domain/errors.ts';

export interface LocalIdentity {
  readonly name: string;
  readonly via: IdentitySource;
}

export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * The acting user. `config` reads slipway.yaml, only when SLIPWAY_USER names someone else (null:
 * there is none, so SLIPWAY_USER is never honoured). Throws IDENTITY_REFUSED when SLIPWAY_USER names someone else and the config
 * does not allow it: ignoring it silently would act as a user the caller did not mean.
 */
export function resolveLocalIdentity(
  env: Readonly<Record<string, string | undefined>>,
  config: () => Pick<SlipwayConfig, 'identity'> | null,
  os: string = osUser(),
): LocalIdentity {
  const asked = env.SLIPWAY_USER?.trim();
  if (!asked || asked === os) return { name: os, via: 'os-user' };
  const identity = config()?.identity;
  if (identity?.allowSlipwayUser === true) return { name: asked, via: 'SLIPWAY_USER' };
  throw new AppError(
    'IDENTITY_REFUSED',
    `SLIPWAY_USER=${asked} is set, but the local CLI acts as the OS user "${os}": slipway.yaml does not allow SLIPWAY_USER. ` +
      'Unset SLIPWAY_USER; act through the server with your own token (SLIPWAY_URL + SLIPWAY_TOKEN); ' +
      'or, for development only, allow it with `identity: { allowSlipwayUser: true }` in slipway.yaml',
  );
}
