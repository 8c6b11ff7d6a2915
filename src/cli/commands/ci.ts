/**
 * `slipway ci init github|gitlab`: write the CI file that builds, tests, registers the release
 * with its JUnit report through the server and deploys it to the first environment
 * (src/ci/workflows.ts). Reads slipway.yaml for the environment; never overwrites without --force.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Argument, type Command, Option } from 'commander';
import { CI_FILES, CI_PROVIDERS, type CiProvider, WORKFLOWS } from '../../ci/workflows.ts';
import { lifecycleOrder } from '../../config/lifecycle.ts';
import { AppError } from '../../domain/errors.ts';
import { writeFileAtomic } from '../../runtime/atomic-file.ts';
import type { Act, Context } from '../context.ts';

interface InitOptions {
  readonly env?: string;
  readonly path: string;
  readonly branch: string;
  readonly force?: boolean;
}

// The values land in YAML and in shell lines: plain names and paths only, nothing to escape.
const plain = (flag: string) => (value: string) => {
  if (!/^[\w./-]{1,200}$/.test(value) || value.includes('..'))
    throw new AppError(
      'USAGE',
      `${flag} ${JSON.stringify(value.slice(0, 60))}: expected letters, digits and . _ - / (no spaces, quotes or ..)`,
    );
  return value;
};

export function registerCi(program: Command, ctx: () => Context, act: Act): void {
  const ci = program.command('ci').description('Connect a CI service to slipway.');
  ci.command('init')
    .description(
      'Write a CI file (.github/workflows/slipway.yml or .gitlab-ci.yml) that builds, tests with a JUnit report, registers the release with it through the server (secrets SLIPWAY_URL and SLIPWAY_TOKEN) and deploys it to the first environment.',
    )
    .addArgument(new Argument('<provider>', 'github or gitlab').choices(CI_PROVIDERS))
    .option('--env <name>', "the environment to deploy to (default: slipway.yaml's first)")
    .option('--path <dir>', 'the folder that is the release, from the repository root', plain('--path'), '.')
    .option('--branch <name>', 'the branch whose pushes deploy', plain('--branch'), 'main')
    .addOption(new Option('--force', 'replace an existing file'))
    .action(
      act(async (provider: CiProvider, opts: InitOptions) => {
        const c = ctx();
        const { config } = c.config();
        const order = lifecycleOrder(config);
        const env = opts.env ?? order[0];
        if (env === undefined || !(env in config.environments))
          throw new AppError(
            'ENV_NOT_FOUND',
            `--env ${opts.env ?? ''}: slipway.yaml has no such environment; it has ${order.join(', ') || 'none'}`,
          );
        const file = join(c.cwd, CI_FILES[provider]);
        if (existsSync(file) && !opts.force)
          throw new AppError(
            'CI_FILE_EXISTS',
            `${CI_FILES[provider]} exists already; look at it, then run \`slipway ci init ${provider} --force\` to replace it`,
          );
        const path = relative(c.cwd, resolve(c.cwd, opts.path)) || '.';
        writeFileAtomic(file, WORKFLOWS[provider]({ env, path, branch: opts.branch }), { mode: 0o644 });
        if (c.io.json) c.io.data({ written: CI_FILES[provider], provider, env });
        else
          c.io.out(
            `wrote ${CI_FILES[provider]}: build, test (junit.xml), register the release with its report, deploy to ${env}\nset the CI secrets SLIPWAY_URL and SLIPWAY_TOKEN (a deployer token: \`slipway token create --user ci --name ci\`)`,
          );
        return 0;
      }),
    );
}
