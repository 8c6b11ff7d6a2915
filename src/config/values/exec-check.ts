/**
 * A tiny guard for apps: check the environment against the declared `require` before the app
 * starts, and stop with the full list of missing or invalid keys instead of failing later on the
 * first one. `slipway exec --env ENV -- CMD` runs the same check before starting CMD.
 *
 * @example
 * import { assertConfig } from 'slipway/config/values/exec-check';
 * assertConfig({ DATABASE_URL: 'url', PORT: 'port', LOG_LEVEL: 'enum(debug,info)' }, process.env);
 */
import { AppError } from '../../domain/errors.ts';
import { check } from './check.ts';
import type { RequireSpec } from './types.ts';

export interface AssertConfigOptions {
  /** `throw` (default) throws an AppError; `exit` prints the list to stderr and exits with code 1. */
  readonly onError?: 'throw' | 'exit';
  /** Where `exit` writes; defaults to process.stderr. */
  readonly write?: (text: string) => void;
}

/**
 * Validate `env` (usually process.env) against `require`. Keys of type `secret` are checked for
 * presence in `env` itself, since inside the app the secret store has already injected them.
 */
export function assertConfig(
  require: Readonly<Record<string, RequireSpec>>,
  env: Readonly<Record<string, string | undefined>>,
  options: AssertConfigOptions = {},
): void {
  const asPlain: Record<string, RequireSpec> = {};
  const secrets: Record<string, string> = {};
  for (const [key, spec] of Object.entries(require)) {
    asPlain[key] = spec;
    const value = env[key];
    if (value !== undefined) secrets[key] = value;
  }
  const issues = check({
    env: 'this process',
    shared: { require: asPlain },
    processEnv: env,
    secrets,
    secretStoreName: 'environment',
  });
  if (issues.length === 0) return;
  // Inside the app there is one source, the environment: say what is wrong, not where to set it.
  const lines = issues.map((i) =>
    i.kind === 'missing'
      ? `${i.key} (${i.expected}) is missing or empty`
      : i.message.replace(/ from process environment; fix the value there$/, ''),
  );
  const message = `${issues.length} config value problem${issues.length === 1 ? '' : 's'}; the app was not started`;
  if (options.onError === 'exit') {
    const write = options.write ?? ((text: string) => process.stderr.write(text));
    write(`${message}:\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
    process.exit(1);
  }
  throw new AppError('CONFIG_VALUES_INVALID', message, { details: lines });
}
