/**
 * `slipway logs ENV [--release R] [--follow]`: the output of an environment's instances, from the
 * agent, with every secret of the environment (every stored version, every version a deployment
 * on record was pinned to, and credential-named plain values) replaced by `[redacted:KEY]`. The
 * agent redacts what it writes to the log files too (runtime/process/log-writer.ts).
 */
import type { Command } from 'commander';
import { connectAgent } from '../../app/engine.ts';
import { pinnedSecretValues } from '../../app/secrets.ts';
import { allSecretValues, projectSecretKeys } from '../../config/values/project.ts';
import { AppError } from '../../domain/errors.ts';
import { Redactor } from '../../secrets/redact.ts';
import { integer, version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { prepareFor } from './config.ts';

async function redactorFor(c: Context, env: string): Promise<Redactor> {
  const { config } = c.config();
  const known = new Map<string, string>();
  // Every stored version: an instance of an older release may still print an older value.
  for (const [label, value] of await allSecretValues(c.secrets(), env, projectSecretKeys(config, env)))
    known.set(label, value);
  // And what deployments were pinned to, also versions `secret rm` withdrew since: instances
  // started with them still run (and print) them.
  for (const [label, value] of await pinnedSecretValues(await c.store(), c.secrets(), config.app, env))
    if (![...known.values()].includes(value)) known.set(label, value);
  const prepared = await prepareFor(c, env).catch(() => undefined);
  for (const k of prepared?.resolution.keys ?? [])
    if (k.sensitive && k.value !== undefined && ![...known.values()].includes(k.value))
      known.set(k.key, k.value);
  c.remember(known);
  return new Redactor(known);
}

export function registerLogs(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('logs')
    .description(
      "Show the output of ENV's instances (secrets redacted); --follow keeps printing until Ctrl-C.",
    )
    .argument('<env>', 'the environment')
    .option(
      '--release <release>',
      'only this release (version, digest or id); default every release running',
      version('--release'),
    )
    .option('--lines <n>', 'how many of the last lines', integer('--lines', 1, 100_000), 100)
    .option('--follow', 'keep printing new lines')
    .action(
      act(async (env: string, opts: { release?: string; lines: number; follow?: boolean }) => {
        const c = ctx();
        const { config } = c.config();
        if (!(env in config.environments))
          throw new AppError(
            'ENV_NOT_FOUND',
            `unknown environment "${env}"; slipway.yaml has ${Object.keys(config.environments).join(', ')}`,
          );
        const redactor = await redactorFor(c, env);
        const agent = connectAgent(c.dataDir());
        let releases: string[];
        if (opts.release !== undefined) {
          const found = await (await c.store()).findRelease(config.app, opts.release);
          releases = [found?.id ?? opts.release];
        } else releases = (await agent.status(env)).releases.map((r) => r.release);
        const label = (release: string, line: string) =>
          releases.length > 1 ? `${release}  ${redactor.redact(line)}` : redactor.redact(line);
        if (!opts.follow) {
          const all: Record<string, string[]> = {};
          for (const release of releases)
            all[release] = (await agent.logs(env, release, opts.lines)).map((l) => redactor.redact(l));
          if (c.io.json) c.io.data(all);
          else
            for (const release of releases)
              for (const line of all[release] ?? []) c.io.out(label(release, line));
          return 0;
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await Promise.all(
            releases.map(async (release) => {
              for await (const line of agent.followLogs(env, release, {
                lines: opts.lines,
                signal: stop.signal,
              }))
                c.io.out(label(release, line));
            }),
          );
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return 0;
      }),
    );
}
