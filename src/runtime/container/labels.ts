/**
 * The labels that tie a container to its app, environment and release: how the runtime finds its
 * containers again after an agent restart (labels, not memory), and how `docker ps` users see them.
 */
import type { InstanceSpec } from '../contract.ts';

export const LABEL = {
  scope: 'slipway.scope',
  app: 'slipway.app',
  env: 'slipway.env',
  release: 'slipway.release',
  index: 'slipway.index',
  port: 'slipway.port',
  fingerprint: 'slipway.fingerprint',
} as const;

export function containerLabels(
  scope: string,
  spec: InstanceSpec,
  index: number,
  port: number,
  fingerprint: string,
): Record<string, string> {
  return {
    [LABEL.scope]: scope,
    [LABEL.app]: spec.app,
    [LABEL.env]: spec.env,
    [LABEL.release]: spec.release,
    [LABEL.index]: String(index),
    [LABEL.port]: String(port),
    [LABEL.fingerprint]: fingerprint,
  };
}

const safe = (part: string) => part.replace(/[^A-Za-z0-9_.-]/g, '_');

/** The container name of an instance, unique per scope (engine names are global). */
export function containerName(scope: string, spec: InstanceSpec, index: number): string {
  return `slipway-${safe(scope)}-${safe(spec.app)}-${safe(spec.env)}-${safe(spec.release)}-${index}`;
}

/** The instance id slipway shows: the same shape as the process runtime's. */
export function instanceId(spec: { app: string; env: string; release: string }, index: number): string {
  return `${safe(spec.app)}-${safe(spec.env)}-${safe(spec.release)}-${index}`;
}
