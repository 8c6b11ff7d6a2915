/**
 * The release secret scanner: before a release folder is registered, look for credentials that
 * should not ship in it. Each finding names file, line, rule and a masked excerpt (the secret is
 * never printed whole). An allowlist entry `{ file, line?, rule?, reason }` accepts a finding; the
 * reason is required so every exception is explained where it is written.
 *
 * @example
 * const result = await scanFolder('dist', { allow: [{ file: 'test/fixtures/*.pem', rule: 'private-key', reason: 'test key' }] });
 * assertNoFindings(result);
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, matchesGlob, relative, sep } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { type EntropyOptions, highEntropyValues, isConfigFile, TOKEN_RULES } from './scan-rules.ts';

export interface ScanFinding {
  /** Relative to the scanned folder, with `/` separators. */
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  /** The line with every secret found on it masked, cut to 160 characters. */
  readonly excerpt: string;
}

export interface AllowEntry {
  /** A path relative to the scanned folder, or a glob (`test/**\/*.pem`). */
  readonly file: string;
  readonly line?: number;
  readonly rule?: string;
  readonly reason: string;
}

export interface ScanOptions {
  readonly allow?: readonly AllowEntry[];
  readonly entropy?: Partial<EntropyOptions>;
  /** Larger files are skipped (and listed as skipped); default 5 MiB. */
  readonly maxFileBytes?: number;
}

export interface ScanResult {
  /** Findings no allowlist entry accepts: these fail the release. */
  readonly findings: readonly ScanFinding[];
  readonly accepted: readonly { readonly finding: ScanFinding; readonly reason: string }[];
  /** Allowlist entries that matched nothing (stale exceptions worth removing). */
  readonly unusedAllow: readonly AllowEntry[];
  readonly filesScanned: number;
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);
const BINARY_EXT =
  /\.(?:png|jpe?g|gif|webp|ico|bmp|tiff?|woff2?|ttf|otf|eot|zip|gz|tgz|bz2|xz|7z|rar|jar|war|wasm|so|dylib|dll|exe|bin|o|a|class|pdf|mp[34]|mov|avi|webm|ogg|wav|sqlite|db)$/i;

/** Show a little of a secret so it can be recognised, never enough to use. */
export function mask(value: string): string {
  const visible = Math.min(4, Math.floor(value.length / 4));
  return `${value.slice(0, visible)}****(${value.length} chars)`;
}

/** Every finding in one file's text. One finding per secret value per line; specific rules win. */
export function scanText(file: string, text: string, entropy: Partial<EntropyOptions> = {}): ScanFinding[] {
  const options: EntropyOptions = { threshold: entropy.threshold ?? 4.0, minLength: entropy.minLength ?? 20 };
  const config = isConfigFile(file);
  const findings: ScanFinding[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const found: { rule: string; value: string; hideRest: boolean }[] = [];
    const add = (rule: string, value: string, hideRest = false) => {
      if (!found.some((f) => f.value.includes(value) || value.includes(f.value)))
        found.push({ rule, value, hideRest });
    };
    for (const rule of TOKEN_RULES) {
      for (const m of line.matchAll(rule.pattern)) {
        const g = m.groups ?? {};
        const quoted = g.dq ?? g.sq ?? g.bq;
        const value = quoted ?? g.value ?? m[1]!;
        if (rule.ignore?.(value)) continue;
        if (rule.name && !rule.name(g.name ?? '')) continue;
        if (rule.quotedInCode && !config && quoted === undefined) continue;
        add(rule.id, value, rule.hideRestOfLine === true);
      }
    }
    if (config) for (const [, value] of highEntropyValues(line, options)) add('high-entropy', value);
    if (found.length === 0) return;
    let excerpt = line.trim();
    for (const f of found) {
      if (f.hideRest) excerpt = `${excerpt.slice(0, excerpt.indexOf(f.value))}${mask(f.value)}...`;
      else excerpt = excerpt.split(f.value).join(mask(f.value));
    }
    if (excerpt.length > 160) excerpt = `${excerpt.slice(0, 157)}...`;
    for (const f of found) findings.push({ file, line: i + 1, rule: f.rule, excerpt });
  });
  return findings;
}

/** Check allowlist entries as read from slipway.yaml: a reason is required. */
export function validateAllowlist(entries: unknown, where = 'secretScan.allow'): AllowEntry[] {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries))
    throw new AppError('CONFIG_INVALID', `${where}: expected a list of { file, line?, rule?, reason }`);
  return entries.map((e, i) => {
    const entry = e as Partial<AllowEntry>;
    if (typeof entry !== 'object' || entry === null || typeof entry.file !== 'string' || entry.file === '') {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}[${i}]: "file" is required (a path or glob relative to the release)`,
      );
    }
    if (typeof entry.reason !== 'string' || entry.reason.trim() === '') {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}[${i}] (${entry.file}): "reason" is required; say why this finding is not a leaked secret`,
      );
    }
    if (entry.line !== undefined && !(Number.isSafeInteger(entry.line) && entry.line >= 1)) {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}[${i}] (${entry.file}): "line" must be a line number from 1`,
      );
    }
    if (entry.rule !== undefined && typeof entry.rule !== 'string') {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}[${i}] (${entry.file}): "rule" must be a rule id such as private-key`,
      );
    }
    return entry as AllowEntry;
  });
}

function allows(entry: AllowEntry, f: ScanFinding): boolean {
  return (
    (entry.file === f.file || matchesGlob(f.file, entry.file)) &&
    (entry.line === undefined || entry.line === f.line) &&
    (entry.rule === undefined || entry.rule === f.rule)
  );
}

/** Walk `root` (not following symlinks, skipping node_modules/.git and binaries) and scan every text file. */
export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const allow = validateAllowlist(options.allow ?? []);
  const maxBytes = options.maxFileBytes ?? 5 * 1024 * 1024;
  const all: ScanFinding[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let filesScanned = 0;
  const rootStat = await lstat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new AppError('RELEASE_SOURCE_INVALID', `cannot scan ${root}: it is not a folder`);
  }
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(full);
        continue;
      }
      if (!entry.isFile()) continue; // symlinks, sockets: not followed
      if (BINARY_EXT.test(entry.name)) continue;
      const size = (await lstat(full)).size;
      if (size > maxBytes) {
        skipped.push({ file: rel, reason: `larger than ${maxBytes} bytes` });
        continue;
      }
      const bytes = await readFile(full);
      if (bytes.subarray(0, 8000).includes(0)) continue; // binary
      filesScanned++;
      all.push(...scanText(rel, bytes.toString('utf8'), options.entropy));
    }
  };
  await walk(root);
  const used = new Set<AllowEntry>();
  const findings: ScanFinding[] = [];
  const accepted: { finding: ScanFinding; reason: string }[] = [];
  for (const f of all) {
    const entry = allow.find((a) => allows(a, f));
    if (entry) {
      used.add(entry);
      accepted.push({ finding: f, reason: entry.reason });
    } else {
      findings.push(f);
    }
  }
  return { findings, accepted, unusedAllow: allow.filter((a) => !used.has(a)), filesScanned, skipped };
}

/** One line per finding: `file:line  rule  excerpt`. */
export function formatFinding(f: ScanFinding): string {
  return `${f.file}:${f.line}  ${f.rule}  ${f.excerpt}`;
}

/** Throw SECRET_FOUND_IN_RELEASE listing every finding that no allowlist entry accepts. */
export function assertNoFindings(result: ScanResult): void {
  if (result.findings.length === 0) return;
  const n = result.findings.length;
  throw new AppError(
    'SECRET_FOUND_IN_RELEASE',
    `${n} possible secret${n === 1 ? '' : 's'} found in the release; remove ${n === 1 ? 'it' : 'them'} and rotate, or accept with secretScan.allow: [{ file, line, rule, reason }]`,
    { details: result.findings.map(formatFinding) },
  );
}
