/**
 * What `slipway hosts bootstrap` installs on a host, packed once on this machine: the Node 24 binary
 * of the `node` npm package slipway depends on, and this slipway (bin/, its code, package.json and
 * the production dependencies it resolves, flattened into one node_modules). Named by a digest of
 * every file's path, size and modification time, so an unchanged installation is recognised
 * without packing it again; the gzip archive is cached in `.slipway/fleet/runtime/`.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { AppError } from '../domain/errors.ts';

export interface RuntimeBundle {
  /** 16 hex digits naming this installation. */
  readonly digest: string;
  /** The gzip tar on this machine. */
  readonly archive: string;
  /** SHA-256 of the archive (checked on each host). */
  readonly sha256: string;
  readonly nodeVersion: string;
  readonly slipwayVersion: string;
  readonly bytes: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The package folder of `name` as Node would resolve it from `from` (nearest node_modules up). */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

interface Pkg {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  version?: string;
}
const readPkg = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg;

/** Production dependencies of the package at `root`, each name to its folder (first found wins). */
export function productionDependencies(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (dir: string, optionalOnly = false) => {
    const pkg = readPkg(dir);
    const deps = { ...(optionalOnly ? {} : pkg.dependencies), ...pkg.optionalDependencies };
    for (const name of Object.keys(deps)) {
      if (dir === root && name === 'node') continue; // shipped on its own, as the runtime
      const at = packageDir(name, dir);
      if (at === undefined) {
        if (name in (pkg.optionalDependencies ?? {})) continue;
        throw new AppError(
          'RELEASE_SOURCE_INVALID',
          `cannot pack slipway for hosts: ${name} (needed by ${dir}) is not installed; run npm install`,
        );
      }
      // Nested under a package already taken, it comes with that package's folder.
      if ([...found.values()].some((d) => at.startsWith(`${d}/`))) {
        visit(at);
        continue;
      }
      if (found.has(name)) continue;
      found.set(name, at);
      visit(at);
    }
  };
  visit(root);
  return found;
}

/** Tests are not part of an installation (and editing one must not make a new runtime). */
const shipped = (path: string) => !/\.test\.[cm]?[jt]s$/.test(path);

function walk(path: string, out: string[]): void {
  if (!shipped(path)) return;
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const entry of readdirSync(path).sort()) walk(join(path, entry), out);
  } else if (st.isFile()) out.push(`${path} ${st.size} ${Math.round(st.mtimeMs)}`);
}

/** Packs (or finds packed) the runtime of this slipway into `cacheDir`. */
export async function runtimeBundle(cacheDir: string): Promise<RuntimeBundle> {
  const nodePkg = packageDir('node', ROOT);
  const nodeBin = nodePkg && join(nodePkg, 'bin', 'node');
  if (nodeBin === undefined || !existsSync(nodeBin))
    throw new AppError(
      'RELEASE_SOURCE_INVALID',
      'cannot bootstrap hosts: the `node` npm package (Node 24) is not installed beside slipway; run npm install',
    );
  const nodeVersion = readPkg(nodePkg as string).version ?? 'unknown';
  const slipwayVersion = readPkg(ROOT).version ?? 'unknown';
  const code = existsSync(join(ROOT, 'src', 'cli', 'main.ts')) ? 'src' : 'lib';
  // Where each part of the bundle comes from (followed symlinks in a staging folder).
  const parts: [string, string][] = [
    ['node/bin/node', realpathSync(nodeBin)],
    ['slipway/package.json', join(ROOT, 'package.json')],
    ['slipway/bin', join(ROOT, 'bin')],
    [`slipway/${code}`, join(ROOT, code)],
    ...(existsSync(join(ROOT, 'dist', 'web'))
      ? [['slipway/dist/web', join(ROOT, 'dist', 'web')] as [string, string]]
      : []),
    ...[...productionDependencies(ROOT)].map(([name, dir]): [string, string] => [
      `slipway/node_modules/${name}`,
      dir,
    ]),
  ];
  const manifest: string[] = [];
  for (const [name, from] of parts) {
    const files: string[] = [];
    walk(from, files);
    manifest.push(
      name,
      ...files.map((f) => relative(from, f.split(' ')[0] as string) + f.slice(f.indexOf(' '))),
    );
  }
  const digest = createHash('sha256').update(manifest.join('\n')).digest('hex').slice(0, 16);
  mkdirSync(cacheDir, { recursive: true });
  const archive = join(cacheDir, `slipway-runtime-${digest}.tgz`);
  const sumFile = `${archive}.sha256`;
  if (!existsSync(archive) || !existsSync(sumFile)) {
    const stage = join(cacheDir, `.stage-${digest}-${process.pid}`);
    rmSync(stage, { recursive: true, force: true });
    for (const [name, from] of parts) {
      mkdirSync(dirname(join(stage, name)), { recursive: true });
      symlinkSync(from, join(stage, name));
    }
    const temp = `${archive}.${process.pid}.tmp`;
    try {
      await pipeline(
        tar.create({ cwd: stage, gzip: { level: 1 }, portable: true, follow: true, filter: shipped }, [
          'node',
          'slipway',
        ]),
        createWriteStream(temp),
      );
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(temp)) hash.update(chunk as Buffer);
      writeFileSync(sumFile, hash.digest('hex'));
      renameSync(temp, archive);
    } finally {
      rmSync(stage, { recursive: true, force: true });
      rmSync(temp, { force: true });
    }
  }
  return {
    digest,
    archive,
    sha256: readFileSync(sumFile, 'utf8').trim(),
    nodeVersion,
    slipwayVersion,
    bytes: statSync(archive).size,
  };
}
