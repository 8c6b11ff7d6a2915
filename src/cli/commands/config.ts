/**
 * `slipway config check|show|diff|set|unset`: an environment's typed config values, where each
 * comes from, drift between environments, and the values stored in slipway (see
 * config/values/stored.ts). Secret values are read only to check them; they are shown as
 * `[redacted]` and taught to the context's redactor, so no output or error carries one.
 */
import type { Command } from 'commander';
import { driftBetween } from '../../config/values/drift-check.ts';
import type { PreparedConfig } from '../../config/values/prepare.ts';
import { environmentOf, prepareEnvironment, projectSecretKeys } from '../../config/values/project.ts';
import { explain, formatExplain } from '../../config/values/resolve.ts';
import { writeStoredValue } from '../../config/values/stored.ts';
import { sensitiveValues } from '../../engine/config-preflight.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

/** Resolve one environment the way its deployment would, and teach the redactor its secrets. */
export async function prepareFor(c: Context, env: string): Promise<PreparedConfig> {
  const { config } = c.config();
  environmentOf(config, env);
  const prepared = await prepareEnvironment({
    config,
    env,
    projectDir: c.projectDir(),
    dataDir: c.dataDir(),
    store: c.secrets(),
  });
  c.remember(sensitiveValues(prepared));
  return prepared;
}

export function registerConfig(program: Command, ctx: () => Context, act: Act): void {
  const config = program
    .command('config')
    .description('Typed config values per environment: check, explain, compare, store.');

  config
    .command('check')
    .description(
      'List every missing or invalid config value of ENV at once. Exit 0 when all is well, 1 otherwise.',
    )
    .argument('<env>', 'the environment, e.g. production')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const { issues } = await prepareFor(c, env);
        if (c.io.json) c.io.data({ env, ok: issues.length === 0, issues });
        else if (issues.length === 0)
          c.io.out(`${c.io.style('green', '✓')} config of ${env} is complete and valid`);
        else {
          for (const i of issues) c.io.err(`  - ${i.message}`);
          c.io.err(c.io.style('red', `${env}: ${issues.length} config value problem(s)`));
        }
        return issues.length === 0 ? 0 : 1;
      }),
    );

  config
    .command('show')
    .description(
      'Show the final config values of ENV (secrets as [redacted]); --explain adds where each came from.',
    )
    .argument('<env>', 'the environment')
    .option(
      '--explain',
      'show the source of each value and what it overrode (precedence: shared values < environment values < .env file < stored in slipway < process environment; secrets only from the secret store)',
    )
    .action(
      act(async (env: string, opts: { explain?: boolean }) => {
        const c = ctx();
        const lines = explain((await prepareFor(c, env)).resolution);
        if (c.io.json) c.io.data({ env, keys: lines });
        else if (opts.explain) c.io.out(formatExplain(lines));
        else c.io.out(table(lines.map((l) => [l.key, l.value ?? '<missing>'])));
        return 0;
      }),
    );

  config
    .command('diff')
    .description(
      'Compare the config of two environments: keys missing on either side, mustMatch keys that differ, values that look like the wrong environment. Exit 1 on an error finding.',
    )
    .argument('<a>', 'the first environment, usually the earlier one (staging)')
    .argument('<b>', 'the second environment (production)')
    .action(
      act(async (a: string, b: string) => {
        const c = ctx();
        const findings = driftBetween(c.config().config, await prepareFor(c, a), await prepareFor(c, b));
        if (c.io.json) c.io.data({ a, b, findings });
        else if (findings.length === 0)
          c.io.out(`${c.io.style('green', '✓')} no drift between ${a} and ${b}`);
        else c.io.out(table(findings.map((f) => [f.severity, f.key, f.message])));
        return findings.some((f) => f.severity === 'error') ? 1 : 0;
      }),
    );

  config
    .command('set')
    .description(
      'Store a plain config value for ENV in slipway (.slipway/config-values.json). Secrets go to `slipway secret set`.',
    )
    .argument('<env>', 'the environment')
    .argument('<key>', 'the variable name, e.g. LOG_LEVEL')
    .argument('<value>', 'the value')
    .action(
      act(async (env: string, key: string, value: string) => {
        const c = ctx();
        const { config: cfg } = c.config();
        environmentOf(cfg, env);
        const changed = writeStoredValue(c.dataDir(), env, key, value, projectSecretKeys(cfg, env));
        if (changed)
          await (await c.store()).appendAudit({
            actor: c.user,
            action: 'config.set',
            target: `${env}/${key}`,
            data: { env, key },
          });
        if (c.io.json) c.io.data({ env, key, changed });
        else c.io.out(changed ? `stored ${key} for ${env}` : `${key} for ${env} already has that value`);
        return 0;
      }),
    );

  config
    .command('unset')
    .description('Remove a value stored in slipway for ENV (slipway.yaml and .env files are not touched).')
    .argument('<env>', 'the environment')
    .argument('<key>', 'the variable name')
    .action(
      act(async (env: string, key: string) => {
        const c = ctx();
        environmentOf(c.config().config, env);
        const changed = writeStoredValue(c.dataDir(), env, key, undefined);
        if (changed)
          await (await c.store()).appendAudit({
            actor: c.user,
            action: 'config.unset',
            target: `${env}/${key}`,
            data: { env, key },
          });
        if (c.io.json) c.io.data({ env, key, changed });
        else c.io.out(changed ? `removed ${key} from ${env}` : `${key} was not stored for ${env}`);
        return 0;
      }),
    );
}
