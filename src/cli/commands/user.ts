/** `slipway user add|grant|revoke|list`: users and their roles per environment. */
import type { Command } from 'commander';
import { ANY_ENV, isRole, ROLES, type Role } from '../../domain/auth.ts';
import { AppError } from '../../domain/errors.ts';
import { printUsers } from '../admin-tables.ts';
import type { Act, Context } from '../context.ts';

const role = (v: string): Role => {
  if (!isRole(v))
    throw new AppError('USAGE', `--role: expected one of ${ROLES.join(', ')}, found ${JSON.stringify(v)}`);
  return v;
};

export function registerUser(program: Command, ctx: () => Context, act: Act): void {
  const user = program
    .command('user')
    .description(`Users and their roles (${ROLES.join(', ')}) per environment.`);
  for (const verb of ['add', 'grant', 'revoke'] as const) {
    user
      .command(verb)
      .description(
        verb === 'add'
          ? 'Create a user, optionally with a role.'
          : verb === 'grant'
            ? 'Give a user a role on an environment (or on all).'
            : 'Take a role away from a user.',
      )
      .argument('<name>', 'the user name')
      .option('--role <role>', `one of ${ROLES.join(', ')}`, role)
      .option('--env <name>', 'the environment the role applies to (default: all)', ANY_ENV)
      .action(
        act(async (name: string, opts: { role?: Role; env: string }) => {
          const c = ctx();
          const store = await c.store();
          if (verb !== 'add' && !opts.role) throw new AppError('USAGE', `user ${verb}: --role is required`);
          if (verb === 'add') await store.putUser(name, c.user);
          else if (!(await store.getUser(name)))
            throw new AppError(
              'USER_NOT_FOUND',
              `no user "${name}"; add it with \`slipway user add ${name}\``,
            );
          if (opts.role)
            await store.setGrant({ user: name, env: opts.env, role: opts.role }, verb !== 'revoke');
          await store.appendAudit({
            actor: c.user,
            action: `user.${verb}`,
            target: name,
            data: opts.role ? { role: opts.role, env: opts.env } : null,
          });
          const u = await store.getUser(name);
          if (c.io.json) c.io.data(u);
          else c.io.out(`${name}: ${u?.grants.map((g) => `${g.role} on ${g.env}`).join(', ') || 'no roles'}`);
          return 0;
        }),
      );
  }
  user
    .command('list')
    .description('List users with their roles.')
    .action(
      act(async () => {
        const c = ctx();
        const users = await (await c.store()).listUsers();
        printUsers(c, users);
        return 0;
      }),
    );
}
