/**
 * `slipway flags evaluate|list|get|history|set|rollout|kill|import|diff`: feature flags in the flagd
 * format per environment. Every command but `evaluate` goes through a FlagService: the local store
 * here, the server's API with SLIPWAY_URL (remote-dispatch.ts runs the same FLAG_COMMANDS).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import type { StoredFlag } from '../../flags/contract.ts';
import { type FlagType, flagType } from '../../flags/definition.ts';
import { CompiledFlags } from '../../flags/evaluate.ts';
import { parseFlagFileForEvaluation } from '../../flags/parse.ts';
import { rolloutPercent, rolloutVariant } from '../../flags/rollout.ts';
import { createFlagService, type FlagService } from '../../flags/service.ts';
import { integer, limit, name, text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

type Opts = Record<string, string | number | boolean | undefined>;
type Run = (c: Context, flags: FlagService, args: readonly unknown[]) => Promise<number>;

const who = (c: Context, o: Opts) => ({ by: c.user, reason: (o.reason as string | undefined) ?? null });

function readText(c: Context, file: string, flag: string): string {
  try {
    return readFileSync(resolve(c.cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'USAGE',
      `${flag} ${file}: ${code === 'ENOENT' ? 'no such file; check the path' : (e as Error).message}`,
    );
  }
}

function jsonArg(value: string, flag: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new AppError(
      'USAGE',
      `${flag}: not valid JSON (${(e as Error).message}); quote it, e.g. ${flag} '{"targetingKey":"user-1"}'`,
    );
  }
}

/** "25% on" for a rollout, "everyone: off" for a static flag, "disabled" for a disabled one. */
export function describeRollout(f: StoredFlag): string {
  const d = f.definition;
  if (!d) return 'removed';
  if (d.state === 'DISABLED') return 'disabled';
  const targeting = d.targeting as object | undefined;
  if (!targeting || Object.keys(targeting).length === 0)
    return `everyone: ${d.defaultVariant ?? '(code default)'}`;
  try {
    const on = rolloutVariant(d);
    const pct = rolloutPercent(d, on);
    return pct === undefined ? 'targeting rules' : `${Number(pct.toFixed(2))}% ${on}`;
  } catch {
    return 'targeting rules';
  }
}

function printFlag(c: Context, f: StoredFlag, verb: string): void {
  if (c.io.json) c.io.data(f);
  else
    c.io.out(`flag ${f.key} in ${f.env} ${verb}: ${describeRollout(f)} (version ${f.version}, by ${f.by})`);
}

export const FLAG_COMMANDS: Readonly<Record<string, Run>> = {
  async list(c, flags, [o]) {
    const env = (o as Opts).env as string;
    const list = await flags.list(env);
    if (c.io.json) c.io.data(list);
    else if (list.length === 0)
      c.io.out(`no flags in ${env}; add them with \`slipway flags import FILE --env ${env}\``);
    else
      c.io.out(
        table([
          ['KEY', 'TYPE', 'STATE', 'ROLLOUT', 'VERSION', 'CHANGED', 'BY'],
          ...list.map((f) => [
            f.key,
            f.definition ? flagType(f.definition) : '-',
            f.definition?.state ?? '-',
            describeRollout(f),
            String(f.version),
            f.at,
            f.by,
          ]),
        ]),
      );
    return 0;
  },
  async get(c, flags, [key, o]) {
    const f = await flags.get((o as Opts).env as string, key as string);
    if (c.io.json) c.io.data(f);
    else {
      c.io.out(
        `# ${f.key} in ${f.env}, version ${f.version} (${f.action} by ${f.by} at ${f.at}): ${describeRollout(f)}`,
      );
      c.io.out(JSON.stringify(f.definition, null, 2));
    }
    return 0;
  },
  async history(c, flags, [key, o]) {
    const opts = o as Opts;
    const rows = await flags.history(opts.env as string, key as string, opts.limit as number);
    if (c.io.json) c.io.data(rows);
    else
      c.io.out(
        table([
          ['VERSION', 'ACTION', 'NOW', 'BY', 'AT', 'REASON'],
          ...rows.map((f) => [String(f.version), f.action, describeRollout(f), f.by, f.at, f.reason ?? '']),
        ]),
      );
    return 0;
  },
  async set(c, flags, [key, o]) {
    const opts = o as Opts;
    if ((opts.from === undefined) === (opts.definition === undefined))
      throw new AppError(
        'USAGE',
        'flags set: give the flag as --from FILE or --definition JSON (one of them)',
      );
    const def =
      opts.from !== undefined
        ? jsonArg(readText(c, opts.from as string, '--from'), `--from ${opts.from}`)
        : jsonArg(opts.definition as string, '--definition');
    const f = await flags.set(
      opts.env as string,
      key as string,
      def,
      who(c, opts),
      opts.ifVersion as number | undefined,
    );
    printFlag(c, f, 'set');
    return 0;
  },
  async rollout(c, flags, [key, o]) {
    const opts = o as Opts;
    const f = await flags.rollout(
      opts.env as string,
      key as string,
      {
        percent: opts.percent as number,
        ...(opts.variant !== undefined && { variant: opts.variant as string }),
        ...(opts.by !== undefined && { by: opts.by as string }),
      },
      who(c, opts),
    );
    printFlag(c, f, 'rolled out');
    return 0;
  },
  async kill(c, flags, [key, o]) {
    const opts = o as Opts;
    const f = await flags.kill(
      opts.env as string,
      key as string,
      who(c, opts),
      opts.variant as string | undefined,
    );
    printFlag(c, f, 'killed');
    return 0;
  },
  async import(c, flags, [file, o]) {
    const opts = o as Opts;
    const result = await flags.import(
      opts.env as string,
      readText(c, file as string, 'import'),
      file as string,
      who(c, opts),
    );
    if (c.io.json) c.io.data(result);
    else {
      for (const f of result.changed) c.io.out(`${f.key}: version ${f.version}, ${describeRollout(f)}`);
      c.io.out(
        `imported ${result.changed.length} flag(s) into ${opts.env}; ${result.unchanged.length} unchanged`,
      );
    }
    return 0;
  },
  async diff(c, flags, [a, b]) {
    const drift = await flags.diff(a as string, b as string);
    if (c.io.json) c.io.data(drift);
    else if (drift.length === 0) c.io.out(`flags in ${a} and ${b} are the same`);
    else for (const d of drift) c.io.out(`${d.key}: ${d.differences.join('; ')}`);
    return drift.length === 0 ? 0 : 1;
  },
};

async function localFlags(c: Context): Promise<FlagService> {
  return createFlagService({ store: await c.store(), config: c.config().config });
}

const TYPES = ['boolean', 'string', 'number', 'object'];

export function registerFlags(program: Command, ctx: () => Context, act: Act): void {
  const flags = program
    .command('flags')
    .description('Feature flags (flagd format) per environment: percentage rollouts, kill switches, drift.');
  const run = (sub: string) =>
    act(async (...args: unknown[]) => {
      const c = ctx();
      return (FLAG_COMMANDS[sub] as Run)(c, await localFlags(c), args);
    });
  const env = (cmd: Command) => cmd.requiredOption('--env <env>', 'the environment', name('--env'));
  const reason = (cmd: Command) =>
    cmd.requiredOption('--reason <text>', 'why, for the audit log and history', text('--reason'));

  flags
    .command('evaluate')
    .description(
      'Evaluate one flag of a flagd-format file (--file) as flagd would; prints {value, variant, reason, errorCode}.',
    )
    .argument('<key>', 'the flag key')
    .option('--context <json>', 'the evaluation context, e.g. \'{"targetingKey":"user-1"}\'', '{}')
    .option('--type <type>', `the type the caller expects (${TYPES.join(', ')}); default: the flag's own`)
    .option('--default <json>', 'the value the caller falls back to (JSON); default null')
    .action(
      act(async (key: string, o: { file?: string; context: string; type?: string; default?: string }) => {
        const c = ctx();
        if (!o.file) throw new AppError('USAGE', 'flags evaluate: name the flag file with --file FLAGS.json');
        if (o.type !== undefined && !TYPES.includes(o.type))
          throw new AppError('USAGE', `--type ${o.type}: one of ${TYPES.join(', ')}`);
        const context = jsonArg(o.context, '--context');
        const fallback = o.default === undefined ? null : jsonArg(o.default, '--default');
        const file = parseFlagFileForEvaluation(readText(c, o.file, '--file'), o.file);
        const r = new CompiledFlags(file.set, file.broken).evaluate(
          key,
          o.type as FlagType | undefined,
          fallback,
          context,
        );
        const shown = {
          value: r.value,
          variant: r.variant ?? null,
          reason: r.reason,
          errorCode: r.errorCode ?? null,
        };
        if (c.io.json) c.io.data({ ...shown, ...(r.errorMessage && { errorMessage: r.errorMessage }) });
        else c.io.out(`${JSON.stringify(shown)}${r.errorMessage ? `\n${r.errorMessage}` : ''}`);
        return 0;
      }),
    );
  env(flags.command('list').description("The environment's flags with their state and rollout.")).action(
    run('list'),
  );
  env(
    flags
      .command('get')
      .description('One flag: its flagd definition and version.')
      .argument('<key>', 'the flag key'),
  ).action(run('get'));
  env(
    flags
      .command('history')
      .description('Every version of a flag: who changed it, how and why.')
      .argument('<key>', 'the flag key'),
  )
    .option('--limit <n>', 'at most this many versions (1–1000)', limit(), 100)
    .action(run('history'));
  reason(
    env(
      flags
        .command('set')
        .description('Create or replace a flag with a flagd definition (checked before it is stored).')
        .argument('<key>', 'the flag key'),
    ),
  )
    .option('--from <file>', 'the flag definition as a JSON file')
    .option('--definition <json>', 'the flag definition as JSON')
    .option(
      '--if-version <n>',
      'refuse unless the flag is at this version (0: it must not exist)',
      integer('--if-version', 0, 2 ** 31),
    )
    .action(run('set'));
  reason(
    env(
      flags
        .command('rollout')
        .description(
          "Move a flag's percentage rollout (or start one): --percent of users get the variant, hashed on their targeting key.",
        )
        .argument('<key>', 'the flag key'),
    ),
  )
    .requiredOption('--percent <n>', 'the share of users, 0–100', integer('--percent', 0, 100))
    .option('--variant <name>', 'the variant rolled out (default "on", or the first that is not the default)')
    .option(
      '--by <attribute>',
      'bucket users by this context attribute instead of the targeting key (a new split)',
      name('--by'),
    )
    .action(run('rollout'));
  reason(
    env(
      flags
        .command('kill')
        .description('Turn a flag off for everyone at once: every user gets the off variant.')
        .argument('<key>', 'the flag key'),
    ),
  )
    .option('--variant <name>', 'the variant everyone gets (default: the default variant)')
    .action(run('kill'));
  reason(
    env(
      flags
        .command('import')
        .description('Store the flags of a flagd-format file (all checked first; all stored or none).')
        .argument('<file>', 'the flagd JSON file'),
    ),
  ).action(run('import'));
  flags
    .command('diff')
    .description('Flags set differently in two environments (exit 1 when they differ).')
    .argument('<a>', 'one environment')
    .argument('<b>', 'the other')
    .action(run('diff'));
}
