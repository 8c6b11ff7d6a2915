/**
 * What the release scanner looks for: well-known token formats (each with the group that holds
 * the secret) and high-entropy values assigned in config files. Pure; scan.ts walks the folder.
 */
import { looksLikeSecretName } from './key-names.ts';

export interface TokenRule {
  readonly id: string;
  readonly description: string;
  /**
   * Global regex; group 1 is the secret, or one of the groups named dq/sq/bq (a quoted value) or
   * value (unquoted); a group named `name` is the key it is assigned to.
   */
  readonly pattern: RegExp;
  /** When the pattern captures a name: is it a credential's name? */
  readonly name?: (name: string) => boolean;
  /** Values that are placeholders, not secrets (checked on group 1). */
  readonly ignore?: (value: string) => boolean;
  /** Outside config files, only a quoted value counts (`password = "x"` is a literal, `password = e.pw` is code). */
  readonly quotedInCode?: boolean;
  /** What follows the match on its line is part of the secret too (a PEM body): the excerpt ends there. */
  readonly hideRestOfLine?: boolean;
}

const PLACEHOLDER =
  /^(?:\$\{?[A-Za-z_]|%\(|\{\{|<|\*+$|x+$|\.\.\.|changeme$|change_me$|password$|secret$|null$|none$|nil$|true$|false$|undefined$|example|your[_-]|process\.env|os\.environ|env[.(]|getenv)/i;

export const TOKEN_RULES: readonly TokenRule[] = [
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id',
    pattern: /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b/g,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    pattern: /aws.{0,20}?(?:secret|sk).{0,20}?["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
  },
  {
    id: 'github-token',
    description: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)',
    pattern: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255})\b/g,
  },
  {
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token',
    pattern: /\b(github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  { id: 'slack-token', description: 'Slack token (xox*)', pattern: /\b(xox[abposr]-[A-Za-z0-9-]{10,})/g },
  {
    id: 'stripe-live-key',
    description: 'Stripe live secret or restricted key',
    pattern: /\b((?:sk|rk)_live_[A-Za-z0-9]{16,})/g,
  },
  {
    id: 'private-key',
    description: 'private key (PEM)',
    pattern: /(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)/g,
    hideRestOfLine: true,
  },
  {
    id: 'jwt',
    description: 'JSON Web Token',
    pattern: /\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g,
  },
  {
    id: 'password-assignment',
    description: 'password or secret assigned a literal value',
    pattern:
      /(?<name>[A-Za-z0-9_.-]*(?:password|passwd|pwd|pass|secret)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*(?:"(?<dq>[^"\n]{4,})"|'(?<sq>[^'\n]{4,})'|`(?<bq>[^`\n]{4,})`|(?<value>[^\s"'#,;`]{4,}))/gi,
    name: isPasswordName,
    ignore: (v) => PLACEHOLDER.test(v) || v.includes('(') || v.startsWith('['),
    quotedInCode: true,
  },
];

const PASSWORD_WORDS = new Set(['password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret']);

/**
 * `DB_PASSWORD`, `dbPassword`, `CLIENT_SECRET`, `SECRET_KEY`: yes. `secretStoreName`,
 * `PASSWORD_MIN_LENGTH`, `ENV_SECRET_PREFIX`: no. The last word decides.
 */
export function isPasswordName(name: string): boolean {
  const parts = name
    .split(/[_.-]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((p) => p !== '')
    .map((p) => p.toLowerCase());
  const last = parts.at(-1) ?? '';
  return PASSWORD_WORDS.has(last) || (parts.includes('secret') && (last === 'key' || last === 'token'));
}

/** Files whose assignments are checked for high-entropy values. */
export function isConfigFile(relPath: string): boolean {
  const name = relPath.split('/').pop() ?? '';
  if (LOCK_FILES.has(name)) return false;
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) return true;
  return /\.(?:json|ya?ml|ini|properties|toml|conf|cfg)$/i.test(name);
}

// Lock files are full of integrity hashes: high entropy, never secrets.
const LOCK_FILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'composer.lock',
]);

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = [...value].length;
  for (const c of counts.values()) bits -= (c / n) * Math.log2(c / n);
  return bits;
}

export interface EntropyOptions {
  /** Bits per character above which a value counts as random (default 4.0; 3.0 for credential-named keys). */
  readonly threshold: number;
  /** Shorter values are ignored (default 20). */
  readonly minLength: number;
}

// key = value / key: value / "key": "value", in .env, .properties, .ini, YAML and JSON.
const ASSIGNED = /["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?([^\s"',#]+)["']?/g;
const NOT_SECRET_KEYS =
  /^(?:integrity|resolved|shasum|hash|checksum|digest|sha\d*|etag|version|url|href|homepage|image|\$schema|\$id)$/i;

/** High-entropy values assigned in one line of a config file: [key, value, index of value]. */
export function highEntropyValues(line: string, options: EntropyOptions): [string, string, number][] {
  const out: [string, string, number][] = [];
  for (const m of line.matchAll(ASSIGNED)) {
    const [whole, key, value] = m as unknown as [string, string, string];
    if (value.length < options.minLength || NOT_SECRET_KEYS.test(key)) continue;
    if (
      /^(?:https?:\/\/[^@]*$|\/|\.\.?\/|npm:|workspace:|file:|git\+|link:)/.test(value) ||
      PLACEHOLDER.test(value)
    )
      continue;
    const threshold = looksLikeSecretName(key) ? Math.min(options.threshold, 3.0) : options.threshold;
    if (shannonEntropy(value) >= threshold) out.push([key, value, m.index + whole.lastIndexOf(value)]);
  }
  return out;
}
