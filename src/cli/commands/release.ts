import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CI_RESULTS, type CiResult, type Release } from '../../domain/types.ts';
import { storeArtifact } from '../../releases/artifacts.ts';
import { digestOf } from '../../releases/digest.ts';
import { limit, name, text, version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

export function registerRelease(program: Command, ctx: () => Context, act: Act): void {
  const release = program.command('release').description('Register immutable releases.');
  release
    .command('create')
    .description(
      'Register the build in PATH (a folder or .tar.gz) as an immutable release; its digest comes from its content.',
    )
    .argument('<path>', 'folder or .tar, .tar.gz, .tgz archive of the build')
    .requiredOption(
      '--version <version>',
      'the version people will call it, e.g. 1.4.2',
      version('--version'),
    )
    .option('--commit <sha>', 'the commit it was built from', name('--commit'))
    .addOption(
      new Option('--ci <result>', 'the CI result of this build').choices(CI_RESULTS).default('unknown'),
    )
    .option('--notes <text>', 'release notes shown on the dashboard', text('--notes'))
    .action(
      act(async (path: string, opts: { version: string; commit?: string; ci: CiResult; notes?: string }) => {
        const c = ctx();
        const { config } = c.config();
        const source = resolve(c.cwd, path);
        const digested = await digestOf(source);
        const store = await c.store();
        const { release: r, created } = await store.putRelease({
          app: config.app,
          version: opts.version,
          digest: digested.digest,
          commit: opts.commit ?? null,
          ci: opts.ci,
          createdBy: c.user,
          files: digested.files,
          bytes: digested.bytes,
          notes: opts.notes ?? null,
        });
        await storeArtifact(c.dataDir(), r.digest, source);
        if (created)
          await store.appendAudit({
            actor: c.user,
            action: 'release.create',
            target: `${r.app}@${r.version}`,
            data: { digest: r.digest, ci: r.ci },
          });
        if (c.io.json) c.io.data({ created, release: r });
        else
          c.io.out(
            `${created ? 'registered' : 'already registered'} ${r.app} ${r.version}  ${r.digest.slice(0, 19)}  ${r.files} files, ${r.bytes} bytes, CI ${r.ci}`,
          );
        return 0;
      }),
    );
}

export function registerReleases(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('releases')
    .description('List the registered releases of the app, newest first.')
    .option('--limit <n>', 'how many, 1 to 1000', limit(), 20)
    .action(
      act(async (opts: { limit: number }) => {
        const c = ctx();
        const { config } = c.config();
        const list = await (await c.store()).listReleases(config.app, opts.limit);
        if (c.io.json) {
          c.io.data(list);
          return 0;
        }
        if (list.length === 0) {
          c.io.out(
            `no releases of ${config.app} yet; register one with \`slipway release create --version V PATH\``,
          );
          return 0;
        }
        c.io.out(table([['VERSION', 'DIGEST', 'CI', 'COMMIT', 'CREATED', 'BY'], ...list.map(row)]));
        return 0;
      }),
    );
}

const row = (r: Release): string[] => [
  r.version,
  r.digest.slice(7, 19),
  r.ci,
  r.commit?.slice(0, 10) ?? '-',
  r.createdAt.slice(0, 16).replace('T', ' '),
  r.createdBy,
];
