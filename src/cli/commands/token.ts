/** `slipway token create|list|revoke`: API tokens, on the store directly (run it where the store is). */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { issueToken } from '../../server/auth/tokens.ts';
import { printTokens } from '../admin-tables.ts';
import type { Act, Context } from '../context.ts';

const days = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new AppError(
      'USAGE',
      `--expires-in-days: expected a whole number from 1 to 3650, found ${JSON.stringify(v)}`,
    );
  return n;
};

export function registerToken(program: Command, ctx: () => Context, act: Act): void {
  const token = program
    .command('token')
    .description('Create, list and revoke API tokens (stored hashed; shown once).');
  token
    .command('create')
    .description('Create a token for a user and print it once.')
    .requiredOption('--user <name>', 'the user the token acts as')
    .option('--name <name>', 'what the token is for, e.g. ci', 'cli')
    .option('--expires-in-days <n>', 'days until it expires', days, 90)
    .action(
      act(async (opts: { user: string; name: string; expiresInDays: number }) => {
        const c = ctx();
        const { token: t, secret } = await issueToken(await c.store(), {
          user: opts.user,
          name: opts.name,
          expiresInDays: opts.expiresInDays,
          by: c.user,
        });
        if (c.io.json) c.io.data({ ...t, secret });
        else {
          c.io.out(`token ${t.id} for ${t.user} (expires ${t.expiresAt}); it is shown only this once:`);
          c.io.out(secret);
        }
        return 0;
      }),
    );
  token
    .command('list')
    .description('List tokens (never their secrets).')
    .option('--user <name>', 'only this user’s')
    .action(
      act(async (opts: { user?: string }) => {
        const c = ctx();
        const list = await (await c.store()).listTokens(opts.user);
        printTokens(c, list);
        return 0;
      }),
    );
  token
    .command('revoke')
    .description('Revoke a token now; its dashboard sessions end with it.')
    .argument('<id>', 'the token id, e.g. tok-1a2b3c4d5e6f')
    .action(
      act(async (id: string) => {
        const c = ctx();
        const store = await c.store();
        const t = await store.findToken({ id });
        if (!t)
          throw new AppError('TOKEN_NOT_FOUND', `no token ${id}; list them with \`slipway token list\``);
        if (await store.revokeToken(id))
          await store.appendAudit({ actor: c.user, action: 'token.revoke', target: id, data: null });
        c.io.out(`token ${id} of ${t.user} is revoked`);
        return 0;
      }),
    );
}
