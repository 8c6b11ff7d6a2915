/**
 * The config part of a deployment's preflight: the environment's values and secrets (at the
 * versions the deployment pinned) must check out, the release's files must hold no live-looking
 * secret (unless slipway.yaml accepts the finding), and the config must not have drifted from the
 * previous environment of the lifecycle. Every problem is listed; warnings become timeline notes.
 */

import type { SlipwayConfig } from '../config/schema.ts';
import { driftBetween } from '../config/values/drift-check.ts';
import type { PreparedConfig } from '../config/values/prepare.ts';
import { prepareEnvironment } from '../config/values/project.ts';
import { isAppError } from '../domain/errors.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { formatFinding, scanFolder } from '../secrets/scan.ts';
import type { DeploymentContext } from './context.ts';
import type { PreflightResult } from './ports.ts';
import type { StoreSecrets } from './secrets.ts';

export interface ConfigPreflightDeps {
  readonly config: SlipwayConfig;
  readonly projectDir: string;
  readonly dataDir: string;
  readonly secrets: SecretStore;
  /** Learns the values read here, so the executor redacts them too. */
  readonly port?: StoreSecrets;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /** Resolves an environment's values (the app's once-per-deployment cache); default: afresh. */
  readonly prepare?: (env: string, pins?: Readonly<Record<string, number>>) => Promise<PreparedConfig>;
}

function messageOf(error: unknown): string {
  if (!isAppError(error)) throw error;
  return [error.message, ...error.details].join('; ');
}

export async function configPreflight(
  deps: ConfigPreflightDeps,
  ctx: DeploymentContext,
): Promise<PreflightResult> {
  const { config } = deps;
  const env = config.environments[ctx.env];
  if (!env) return { problems: [`environment ${ctx.env} is no longer in slipway.yaml`] };
  const problems: string[] = [];
  const notes: string[] = [];
  const prepare = async (name: string, pins?: Readonly<Record<string, number>>) => {
    const prepared = deps.prepare
      ? await deps.prepare(name, pins)
      : await prepareEnvironment({
          config,
          env: name,
          projectDir: deps.projectDir,
          dataDir: deps.dataDir,
          store: deps.secrets,
          ...(deps.processEnv && { processEnv: deps.processEnv }),
          ...(pins && { pins }),
        });
    deps.port?.remember(sensitiveValues(prepared));
    return prepared;
  };

  let current: PreparedConfig | undefined;
  try {
    current = await prepare(ctx.env, ctx.secretPins);
    for (const issue of current.issues) problems.push(`config: ${issue.message}`);
  } catch (error) {
    problems.push(`config: ${messageOf(error)}`);
  }

  const scan = await scanFolder(ctx.release.cwd, { allow: config.secretScan?.allow ?? [] });
  for (const f of scan.findings)
    problems.push(
      `secret scan: ${formatFinding(f)} (remove it and rotate, or accept it in secretScan.allow with a reason)`,
    );
  if (scan.accepted.length > 0)
    notes.push(`secret scan: ${scan.accepted.length} finding(s) accepted by secretScan.allow`);

  const previous = env.after;
  if (previous && current) {
    try {
      const before = await prepare(previous);
      for (const f of driftBetween(config, before, current)) {
        if (f.severity === 'error') problems.push(`drift from ${previous}: ${f.message}`);
        else notes.push(`drift from ${previous} (${f.severity}): ${f.message}`);
      }
    } catch (error) {
      notes.push(`drift from ${previous} not checked: ${messageOf(error)}`);
    }
  }
  return { problems, notes };
}

/** The values a redactor must know: secrets and credential-named keys. */
export function sensitiveValues(prepared: PreparedConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of prepared.resolution.keys) if (k.sensitive && k.value !== undefined) out[k.key] = k.value;
  return out;
}
