import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError, isAppError } from '../../domain/errors.ts';
import { writeFileAtomic } from '../../runtime/atomic-file.ts';
import type { Act, Context } from '../context.ts';

interface Detected {
  readonly app: string;
  readonly command: string;
  readonly source: string;
  /** A Containerfile or Dockerfile in the folder: the config then says how to run images. */
  readonly containerfile?: string;
}

const CONTAINERFILES = ['Containerfile', 'Dockerfile'];

/** `detectApp`, plus the folder's Containerfile/Dockerfile when it has one. */
export function detectProject(dir: string): Detected {
  const containerfile = CONTAINERFILES.find((name) => existsSync(join(dir, name)));
  return { ...detectApp(dir), ...(containerfile && { containerfile }) };
}

/** What to run, read from a Node app's package.json when there is one. */
export function detectApp(dir: string): Detected {
  const folderName = sanitize(basename(dir)) || 'app';
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath))
    return { app: folderName, command: 'node server.js', source: 'no package.json found; edit the command' };
  let pkg: { name?: unknown; main?: unknown; scripts?: Record<string, unknown> };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  } catch {
    return {
      app: folderName,
      command: 'node server.js',
      source: 'package.json does not parse; edit the command',
    };
  }
  const app = (typeof pkg.name === 'string' && sanitize(pkg.name.replace(/^@[^/]+\//, ''))) || folderName;
  const start = pkg.scripts?.start;
  if (typeof start === 'string' && start.trim())
    return { app, command: start.trim(), source: 'the start script of package.json' };
  if (typeof pkg.main === 'string')
    return { app, command: `node ${pkg.main}`, source: 'the main file of package.json' };
  return {
    app,
    command: 'node server.js',
    source: 'package.json has no start script or main; edit the command',
  };
}

function sanitize(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63);
}

export function initTemplate(d: Detected): string {
  return `# yaml-language-server: $schema=./slipway.schema.json
# slipway.yaml — how ${d.app} goes from a build to production. \`slipway validate\` checks it;
# \`slipway schema > slipway.schema.json\` lets your editor complete it.
app: ${d.app}
run:
  command: ${JSON.stringify(d.command)}   # from ${d.source}; PORT is set for each instance
${
  d.containerfile
    ? `  # image: registry.example.com/${d.app}   # this folder has a ${d.containerfile}: set run.image to run its images as containers,
  #                                         # registered with \`slipway release create --image registry.example.com/${d.app}:TAG\`
`
    : ''
}  health:
    path: /health          # must answer 2xx before an instance gets traffic
    interval: 2s
    timeout: 1s
    startTimeout: 60s
  instances: 2
config:                    # shared by every environment; typed, checked before a deploy starts
  require:
    NODE_ENV: enum(development,staging,production)
  values: {}
environments:
  staging:                 # mirrors production; where a release is accepted
    strategy: blue-green   # the new release starts beside the old; the switch is instant
    config:
      values: { NODE_ENV: staging }
    smoke:
      - { get: /health }
    watch: 5m
  production:
    after: staging         # only releases that succeeded in staging, same digest
    approval: { required: 1, role: approver, selfApproval: false }   # go/no-go
    windows:
      allow: ["Tue-Thu 10:00-14:00 UTC"]
      outside: wait
    strategy:
      canary:
        stickiness: header:x-user-id
        steps:
          - { weight: 5, pause: 5m }
          - { weight: 25, analysis: default }
          - { weight: 50, analysis: default }
          - { weight: 100 }
    config:
      values: { NODE_ENV: production }
    rollbackIf:            # roll back on its own when these hold
      errorRate: { above: 5%, within: 10m }
      latency: { p95AboveBaseline: 2x, for: 5m }
      unhealthyInstances: { above: 30% }
    smoke:
      - { get: /health }
    watch: 30m
`;
}

export function registerInit(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('init')
    .description(
      "Write a commented slipway.yaml for the app in this folder (a Node app's start script is detected).",
    )
    .option('--force', 'overwrite an existing slipway.yaml')
    .action(
      act((opts: { force?: boolean }) => {
        const c = ctx();
        const target = resolve(c.cwd, c.options.file);
        if (existsSync(target) && !opts.force) {
          throw new AppError(
            'INIT_EXISTS',
            `${c.options.file} already exists; keep it, or run \`slipway init --force\` to replace it`,
          );
        }
        const detected = detectProject(c.cwd);
        try {
          // The atomic writer makes missing folders; a mistyped -f should not.
          if (!existsSync(dirname(target))) throw Object.assign(new Error('no folder'), { code: 'ENOENT' });
          if (existsSync(target) && statSync(target).isDirectory())
            throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
          writeFileAtomic(target, initTemplate(detected), { mode: 0o644 });
        } catch (error) {
          if (isAppError(error)) throw error;
          const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
          throw new AppError(
            'USAGE',
            `-f ${c.options.file}: cannot write it (${code}); ${code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : 'check the path and its permissions'}`,
          );
        }
        if (c.io.json) c.io.data({ file: c.options.file, app: detected.app, command: detected.command });
        else {
          c.io.out(
            `wrote ${c.options.file} for app ${detected.app}: runs \`${detected.command}\` (${detected.source})${detected.containerfile ? `; found a ${detected.containerfile}: see run.image in it to run images instead` : ''}`,
          );
          c.io.out('next: `slipway validate`, then `slipway release create --version 1.0.0 .`');
        }
        return 0;
      }),
    );
}
