/**
 * `slipway secret init|set|get|list|rm|rotate-key`: the secret store named in slipway.yaml
 * (`secrets.provider`, default the encrypted local store). Values go in on stdin by default, so
 * they stay out of shell history and process lists; `list` never shows values; `get` prints one
 * value and is written to the audit log with the user. Every value seen is taught to the
 * context's redactor, so an error can never echo it.
 */
import type { Command } from 'commander';
import { openProjectSecrets } from '../../app/secrets.ts';
import { environmentOf, projectKeyFile, projectSecretKeys } from '../../config/values/project.ts';
import { AppError } from '../../domain/errors.ts';
import { initKeyFile, KEY_ENV_VAR } from '../../secrets/local/key.ts';
import { LocalSecretStore, rotateKeyFile } from '../../secrets/local/local-store.ts';
import { integer } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream)
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  // `echo value | slipway secret set` adds one newline; a value never ends with it on purpose.
  return text.replace(/\r?\n$/, '');
}

function localOnly(c: Context, what: string): void {
  const provider = c.config().config.secrets?.provider ?? 'local';
  if (provider !== 'local') {
    throw new AppError(
      'USAGE',
      `\`slipway secret ${what}\` is for the local secret store; slipway.yaml uses secrets.provider: ${provider}`,
    );
  }
}

export function registerSecret(program: Command, ctx: () => Context, act: Act): void {
  const secret = program
    .command('secret')
    .alias('secrets')
    .description('Secrets per environment, encrypted at rest and versioned; values never shown by list.');

  secret
    .command('init')
    .description(
      'Create the key of the local secret store (mode 0600). Keep a copy somewhere safe: without it the secrets cannot be read.',
    )
    .action(
      act(async () => {
        const c = ctx();
        localOnly(c, 'init');
        const path = projectKeyFile(c.config().config, c.projectDir());
        initKeyFile(path);
        await (await c.store()).appendAudit({
          actor: c.user,
          action: 'secret.init',
          target: 'local',
          data: {},
        });
        if (c.io.json) c.io.data({ keyFile: path });
        else
          c.io.out(
            `created key file ${path} (mode 0600); back it up, or put its content in ${KEY_ENV_VAR} for CI`,
          );
        return 0;
      }),
    );

  secret
    .command('set')
    .description(
      'Store a new version of a secret. The value is read from stdin (default); --value puts it in shell history.',
    )
    .argument('<env>', 'the environment')
    .argument('<key>', 'the variable name, e.g. STRIPE_KEY')
    .option('--from-stdin', 'read the value from stdin (the default)')
    .option('--value <value>', 'the value itself (avoid: it stays in shell history and process lists)')
    .action(
      act(async (env: string, key: string, opts: { fromStdin?: boolean; value?: string }) => {
        const c = ctx();
        const { config } = c.config();
        environmentOf(config, env);
        if (opts.value !== undefined && opts.fromStdin)
          throw new AppError(
            'USAGE',
            'give the value either on stdin (--from-stdin) or with --value, not both',
          );
        const value = opts.value ?? (await readStdin(c.stdin));
        c.remember({ [key]: value });
        if (value === '')
          throw new AppError(
            'USAGE',
            `no value for ${env}/${key}: stdin was empty; pipe the value in, e.g. \`pass show shop/stripe | slipway secret set ${env} ${key}\``,
          );
        const version = await c.secrets().set(env, key, value);
        await (await c.store()).appendAudit({
          actor: c.user,
          action: 'secret.set',
          target: `${env}/${key}`,
          data: { env, key, version },
        });
        const declared = projectSecretKeys(config, env).includes(key);
        if (c.io.json) c.io.data({ env, key, version, declared });
        else {
          c.io.out(`stored ${env}/${key} version ${version}`);
          if (opts.value !== undefined)
            c.io.err(
              'note: a value given with --value stays in shell history; prefer piping it in (--from-stdin)',
            );
          if (!declared)
            c.io.err(
              `note: ${key} is not declared as a secret of ${env} in slipway.yaml, so no instance gets it; add it to environments.${env}.secrets`,
            );
        }
        return 0;
      }),
    );

  secret
    .command('get')
    .description(
      'Print one secret value (the latest, or --version N). Recorded in the audit log with the user.',
    )
    .argument('<env>', 'the environment')
    .argument('<key>', 'the variable name')
    .option('--version <n>', 'a stored version', integer('--version', 1, 1_000_000_000))
    .action(
      act(async (env: string, key: string, opts: { version?: number }) => {
        const c = ctx();
        const { config } = c.config();
        environmentOf(config, env);
        // Reading a secret needs the admin role where slipway.yaml names its users (the server's
        // tokens carry their own roles); the refusal is audited like the read.
        if (config.users && !(config.users[c.user] ?? []).includes('admin')) {
          await (await c.store()).appendAudit({
            actor: c.user,
            action: 'secret.get.denied',
            target: `${env}/${key}`,
            data: { env, key },
          });
          throw new AppError(
            'FORBIDDEN',
            `reading a secret needs the admin role; "${c.user}" has ${(config.users[c.user] ?? []).join(', ') || 'no roles'} (add admin under users: in slipway.yaml)`,
          );
        }
        const store = c.secrets();
        const versions = await store.versions(env, key);
        const version = opts.version ?? versions.at(-1)?.version;
        const value = version === undefined ? undefined : await store.get(env, key, version);
        await (await c.store()).appendAudit({
          actor: c.user,
          action: 'secret.get',
          target: `${env}/${key}`,
          data: { env, key, version: version ?? null, found: value !== undefined },
        });
        if (value === undefined) {
          throw new AppError(
            'SECRET_NOT_FOUND',
            `no ${env}/${key}${opts.version ? ` version ${opts.version}` : ''} in the ${store.name} secret store; list them with \`slipway secret list ${env}\``,
          );
        }
        if (c.io.json) c.io.data({ env, key, version, value });
        // The value itself, byte for byte: scripts read it (`$(slipway secret get …)`).
        else c.io.raw('out', `${value}\n`);
        return 0;
      }),
    );

  secret
    .command('list')
    .description('List the secrets of ENV (or of every environment) with their versions; never values.')
    .argument('[env]', 'the environment; default all')
    .action(
      act(async (env: string | undefined) => {
        const c = ctx();
        const { config } = c.config();
        if (env !== undefined) environmentOf(config, env);
        const envs = env === undefined ? Object.keys(config.environments) : [env];
        const rows: {
          env: string;
          key: string;
          versions: readonly number[];
          latest: number | null;
          declared: boolean;
        }[] = [];
        for (const e of envs) {
          const declared = projectSecretKeys(config, e);
          const listed = await c.secrets().list(e);
          for (const s of listed)
            rows.push({
              env: e,
              key: s.key,
              versions: s.versions,
              latest: s.latest,
              declared: declared.includes(s.key),
            });
          for (const key of declared)
            if (!listed.some((s) => s.key === key))
              rows.push({ env: e, key, versions: [], latest: null, declared: true });
        }
        if (c.io.json) c.io.data(rows);
        else if (rows.length === 0) c.io.out('no secrets declared or stored');
        else
          c.io.out(
            table([
              ['ENV', 'KEY', 'LATEST', 'VERSIONS', 'STATUS'],
              ...rows.map((r) => [
                r.env,
                r.key,
                r.latest === null ? '-' : String(r.latest),
                r.versions.join(',') || '-',
                r.latest === null ? 'missing' : r.declared ? 'ok' : 'not declared in slipway.yaml',
              ]),
            ]),
          );
        return 0;
      }),
    );

  secret
    .command('rm')
    .description(
      'Withdraw a secret: new deployments cannot use it; the versions before stay readable by number for deployments pinned to them and their rollbacks, and no version number is ever reused.',
    )
    .argument('<env>', 'the environment')
    .argument('<key>', 'the variable name')
    .action(
      act(async (env: string, key: string) => {
        const c = ctx();
        environmentOf(c.config().config, env);
        await c.secrets().remove(env, key);
        await (await c.store()).appendAudit({
          actor: c.user,
          action: 'secret.rm',
          target: `${env}/${key}`,
          data: { env, key },
        });
        if (c.io.json) c.io.data({ env, key, removed: true });
        else
          c.io.out(
            `removed ${env}/${key}: new deployments cannot use it; deployments pinned to its earlier versions (and rollbacks to them) still run with those, and the next \`secret set\` gets a new version number`,
          );
        return 0;
      }),
    );

  secret
    .command('rotate-key')
    .description('Re-encrypt every secret of the local store under a new key and replace the key file.')
    .action(
      act(async () => {
        const c = ctx();
        localOnly(c, 'rotate-key');
        if (process.env[KEY_ENV_VAR]) {
          throw new AppError(
            'USAGE',
            `the key comes from ${KEY_ENV_VAR}, which slipway cannot replace; unset it to rotate the key file, then put the new key in ${KEY_ENV_VAR}`,
          );
        }
        const { config } = c.config();
        const store = openProjectSecrets(config, c.projectDir());
        if (!(store instanceof LocalSecretStore))
          throw new AppError('USAGE', 'rotate-key works on the local secret store only');
        const keyFile = projectKeyFile(config, c.projectDir());
        const count = await rotateKeyFile(store, keyFile);
        await store.close();
        await (await c.store()).appendAudit({
          actor: c.user,
          action: 'secret.rotate-key',
          target: 'local',
          data: { records: count },
        });
        if (c.io.json) c.io.data({ records: count, keyFile });
        else c.io.out(`re-encrypted ${count} secret version(s) under a new key in ${keyFile}`);
        return 0;
      }),
    );
}
