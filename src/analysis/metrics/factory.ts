/**
 * The one place metric providers are built from configuration. An unknown kind is a user's
 * mistake: the error names it and lists the kinds that exist.
 */
import { AppError } from '../../domain/errors.ts';
import type { Runtime } from '../../runtime/contract.ts';
import type { MetricProvider } from '../contract.ts';
import { createBuiltinProvider, type MetricsSource } from './builtin/provider.ts';
import { createHttpProvider, type HttpProviderConfig } from './http/provider.ts';
import { createPrometheusProvider, type PrometheusProviderConfig } from './prometheus/provider.ts';
import { createRuntimeProvider } from './runtime/provider.ts';

export const PROVIDER_KINDS = ['builtin', 'runtime', 'http', 'prometheus'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export type MetricProviderSpec =
  | { readonly kind: 'builtin' }
  | { readonly kind: 'runtime' }
  | ({ readonly kind: 'http' } & HttpProviderConfig)
  | ({ readonly kind: 'prometheus' } & PrometheusProviderConfig);

/** What the built-in kinds read from: the environment's traffic router and runtime. */
export interface ProviderDeps {
  readonly router?: MetricsSource;
  readonly runtime?: Pick<Runtime, 'name' | 'list'>;
}

/**
 * @example
 * const prom = createMetricProvider({ kind: 'prometheus', url: 'http://127.0.0.1:9090', queries: { p95: '...' } });
 * const builtin = createMetricProvider({ kind: 'builtin' }, { router });
 */
export function createMetricProvider(spec: MetricProviderSpec, deps: ProviderDeps = {}): MetricProvider {
  const kind = (spec as { kind?: unknown }).kind;
  switch (spec.kind) {
    case 'builtin':
      if (!deps.router) {
        throw new AppError(
          'METRIC_PROVIDER_INVALID',
          'the builtin metric provider needs the traffic router; pass deps.router',
        );
      }
      return createBuiltinProvider({ router: deps.router });
    case 'runtime':
      if (!deps.runtime) {
        throw new AppError(
          'METRIC_PROVIDER_INVALID',
          'the runtime metric provider needs the runtime; pass deps.runtime',
        );
      }
      return createRuntimeProvider({ runtime: deps.runtime });
    case 'http':
      return createHttpProvider(spec);
    case 'prometheus':
      return createPrometheusProvider(spec);
    default:
      throw new AppError(
        'METRIC_PROVIDER_UNKNOWN',
        `unknown metric provider "${String(kind)}"; known providers: ${PROVIDER_KINDS.join(', ')}`,
      );
  }
}

/** Builds every named provider for `analyze`; errors name the provider's key. */
export function createMetricProviders(
  specs: Readonly<Record<string, MetricProviderSpec>>,
  deps: ProviderDeps = {},
): Readonly<Record<string, MetricProvider>> {
  const out: Record<string, MetricProvider> = {};
  for (const [name, spec] of Object.entries(specs)) {
    try {
      out[name] = createMetricProvider(spec, deps);
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError(err.code, `metrics.${name}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return out;
}
