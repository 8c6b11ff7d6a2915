/**
 * `slipway release create|rm` and `slipway releases`, on this machine through src/app/releases.ts.
 * Against a server (SLIPWAY_URL) the same commands run in remote-releases.ts.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import * as releases from '../../app/releases.ts';
import { ciResultOf } from '../../ci/junit.ts';
import { readJUnitFile } from '../../ci/report-file.ts';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { CI_RESULTS, type CiResult, type Release, type TestReport } from '../../domain/types.ts';
import { limit, name, text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';
import { buildArg, createBuiltRelease } from './release-build.ts';

export interface CreateOptions {
  readonly version: string;
  /** An image reference instead of a path (src/app/releases.ts registerImageRelease). */
  readonly image?: string;
  /** A folder to build into an image first (release-build.ts). */
  readonly build?: string;
  readonly buildArg?: Record<string, string>;
  readonly commit?: string;
  readonly ci: CiResult;
  /** A JUnit XML file (src/ci/junit.ts); its counts are kept and decide the CI result. */
  readonly ciReport?: string;
  readonly notes?: string;
}

export function registerRelease(program: Command, ctx: () => Context, act: Act): void {
  const release = program.command('release').description('Register immutable releases.');
  release
    .command('create')
    .description(
      'Register the build in PATH (a folder or .tar.gz) as an immutable release; its digest comes from its content. With SLIPWAY_URL set, the build is uploaded to the server. With --image, register a container image (slipway.yaml run.image): its digest in the registry is the release. With --build DIR, build that image first and push it.',
    )
    .argument('[path]', 'folder or .tar, .tar.gz, .tgz archive of the build (or give --image)')
    // Checked by the app layer (src/app/releases.ts), the same rule the API's upload applies.
    .option(
      '--version <version>',
      'the version people will call it, e.g. 1.4.2 (for --image default: its org.opencontainers.image.version label)',
    )
    .option(
      '--image <ref>',
      'register a container image instead: REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:…, resolved to its digest (login: SLIPWAY_REGISTRY_USERNAME/PASSWORD)',
      text('--image'),
    )
    .option(
      '--build <dir>',
      "build the image of DIR's Containerfile/Dockerfile with the container engine (DOCKER_HOST), push it to slipway.yaml's run.image (tag: --version) and register it by digest",
      text('--build'),
    )
    .option('--build-arg <KEY=VALUE>', 'a build argument for --build (repeatable)', buildArg)
    .option('--commit <sha>', 'the commit it was built from', name('--commit'))
    .addOption(
      new Option('--ci <result>', 'the CI result of this build').choices(CI_RESULTS).default('unknown'),
    )
    .option(
      '--ci-report <file>',
      'the JUnit XML test report of this build: its counts and failing tests are kept with the release; failing tests make the CI result failed (and the release unpromotable)',
      text('--ci-report'),
    )
    .option('--notes <text>', 'release notes shown on the dashboard', text('--notes'))
    .action(
      act(async (path: string | undefined, opts: CreateOptions) => {
        const c = ctx();
        const { config } = c.config();
        if (opts.build !== undefined)
          return createBuiltRelease(c, config, path, { ...opts, build: opts.build });
        if (opts.image !== undefined) return createImageRelease(c, config, path, opts);
        if (path === undefined)
          throw new AppError(
            'USAGE',
            'release create: give the PATH of the build, or --image REGISTRY/NAME:TAG',
          );
        if (opts.version === undefined)
          throw new AppError('USAGE', "release create: required option '--version <version>' not specified");
        const report = await reportOption(c, opts);
        const { release: r, created } = await releases.registerRelease(
          { store: await c.store(), dataDir: c.dataDir(), app: config.app },
          {
            source: resolve(c.cwd, path),
            version: opts.version,
            commit: opts.commit ?? null,
            ci: opts.ci,
            report,
            notes: opts.notes ?? null,
            user: c.user,
          },
        );
        printCreated(c, r, created);
        return 0;
      }),
    );
  release
    .command('rm')
    .description(
      'Remove a release registration and its files; refused while an environment runs it or may roll back to it.',
    )
    .argument('<version>', 'version, id or digest of the release')
    .action(
      act(async (ref: string) => {
        const c = ctx();
        const { config } = c.config();
        const r = await releases.removeRelease(
          { store: await c.store(), dataDir: c.dataDir(), app: config.app },
          ref,
          c.user,
        );
        printRemoved(c, r);
        return 0;
      }),
    );
}

async function createImageRelease(
  c: Context,
  config: SlipwayConfig,
  path: string | undefined,
  opts: CreateOptions,
): Promise<number> {
  if (path !== undefined)
    throw new AppError('USAGE', `release create: give either PATH (${path}) or --image, not both`);
  const username = process.env.SLIPWAY_REGISTRY_USERNAME;
  const password = process.env.SLIPWAY_REGISTRY_PASSWORD;
  const {
    release: r,
    created,
    image,
  } = await releases.registerImageRelease(
    { store: await c.store(), dataDir: c.dataDir(), app: config.app },
    {
      image: opts.image as string,
      version: opts.version,
      commit: opts.commit,
      ci: opts.ci,
      report: await reportOption(c, opts),
      notes: opts.notes ?? null,
      user: c.user,
      repository: config.run.image,
      ...(username !== undefined && password !== undefined && { credentials: { username, password } }),
    },
  );
  if (c.io.json) c.io.data({ created, release: r, image });
  else
    c.io.out(
      `${created ? 'registered' : 'already registered'} ${r.app} ${r.version}  ${r.digest.slice(0, 19)}  image ${image}, ${r.files} layers, ${r.bytes} bytes, CI ${ciShown(r)}`,
    );
  return 0;
}

/** `--ci-report FILE`, read and parsed before anything is registered (here or on the server). */
export async function reportOption(c: Context, opts: CreateOptions): Promise<TestReport | null> {
  if (opts.ciReport === undefined) return null;
  const report = await readJUnitFile(resolve(c.cwd, opts.ciReport), opts.ciReport, opts);
  // The contradiction is refused by the app layer too; checked here so nothing is uploaded first.
  ciResultOf(opts.ci, report);
  return report;
}

/** `CI failed (2 of 120 tests failed)`: the word and, when a report was sent, its facts. */
export function ciShown(r: { ci: string; report?: TestReport | null }): string {
  const t = r.report;
  if (!t) return r.ci;
  const bad = t.failures + t.errors;
  const passed = `${t.tests - t.skipped} tests passed`;
  return `${r.ci} (${bad ? `${bad} of ${t.tests} tests failed` : passed}${t.skipped ? `, ${t.skipped} skipped` : ''})`;
}

/** What the output shows of a release, local or from the server's API. */
type Shown = Pick<
  Release,
  'app' | 'version' | 'digest' | 'commit' | 'createdAt' | 'createdBy' | 'files' | 'bytes'
> & {
  readonly ci: string;
  readonly report?: TestReport | null;
};

export function printCreated(c: Context, r: Shown, created: boolean, where = ''): void {
  if (c.io.json) c.io.data({ created, release: r });
  else
    c.io.out(
      `${created ? 'registered' : 'already registered'} ${r.app} ${r.version}  ${r.digest.slice(0, 19)}  ${r.files} files, ${r.bytes} bytes, CI ${ciShown(r)}${where}`,
    );
}

export function printRemoved(c: Context, r: Pick<Release, 'app' | 'version' | 'digest'>): void {
  if (c.io.json) c.io.data({ removed: r });
  else c.io.out(`removed release ${r.app} ${r.version} (${r.digest.slice(0, 19)})`);
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
        printReleases(
          c,
          config.app,
          await releases.listReleases({ store: await c.store(), app: config.app }, opts.limit),
        );
        return 0;
      }),
    );
}

export function printReleases(
  c: Context,
  app: string,
  list: readonly Omit<Shown, 'files' | 'bytes'>[],
): void {
  if (c.io.json) {
    c.io.data(list);
    return;
  }
  if (list.length === 0) {
    c.io.out(`no releases of ${app} yet; register one with \`slipway release create --version V PATH\``);
    return;
  }
  c.io.out(table([['VERSION', 'DIGEST', 'CI', 'COMMIT', 'CREATED', 'BY'], ...list.map(row)]));
}

// Versions are checked on the way in; older rows may still hold anything, so show them escaped.
const safe = (text: string): string => JSON.stringify(text).slice(1, -1);

const row = (r: Omit<Shown, 'files' | 'bytes'>): string[] => [
  safe(r.version),
  r.digest.slice(7, 19),
  ciShown(r),
  safe(r.commit?.slice(0, 10) ?? '-'),
  r.createdAt.slice(0, 16).replace('T', ' '),
  safe(r.createdBy),
];
