/**
 * An environment's feature flags on its card: each flag's rollout in plain words, and a kill button
 * for those whose roles allow a rollback there (the server checks again).
 */
import { api } from './api.ts';
import { confirmAction } from './confirm.ts';
import { announce, h } from './dom.ts';

interface Definition {
  readonly state: string;
  readonly variants: Record<string, unknown>;
  readonly defaultVariant?: string | null;
  readonly targeting?: Record<string, unknown>;
}
export interface FlagRow {
  readonly key: string;
  readonly version: number;
  readonly definition: Definition | null;
  readonly by: string;
  readonly at: string;
}

/** "25% of users get on", "everyone gets off", "off (disabled)", or "its own targeting rules". */
export function rolloutWords(d: Definition): string {
  if (d.state === 'DISABLED') return 'disabled: the app’s own default';
  const t = d.targeting ?? {};
  if (Object.keys(t).length === 0) return `everyone gets ${d.defaultVariant ?? 'the app’s own default'}`;
  const split = (t as { fractional?: unknown[] }).fractional;
  if (Array.isArray(split)) {
    const buckets = split.filter(Array.isArray) as [unknown, unknown][];
    const total = buckets.reduce((s, b) => s + (typeof b[1] === 'number' ? b[1] : 1), 0);
    const on = buckets.find((b) => b[0] !== d.defaultVariant) ?? buckets[0];
    if (on && total > 0) {
      const pct = (100 * (typeof on[1] === 'number' ? on[1] : 1)) / total;
      return `${Number(pct.toFixed(2))}% of users get ${String(on[0])}`;
    }
  }
  return 'its own targeting rules';
}

export function flagsSection(
  env: string,
  flags: FlagRow[] | null,
  canKill: boolean,
  done: () => void,
): HTMLElement | null {
  if (!flags || flags.length === 0) return null;
  const error = h('p', { class: 'error', role: 'alert' });
  const rows = flags.map((f) => {
    const d = f.definition as Definition;
    const killed = d.state === 'ENABLED' && Object.keys(d.targeting ?? {}).length === 0;
    return h(
      'tr',
      { 'data-flag': f.key },
      h('th', { scope: 'row' }, h('code', {}, f.key)),
      h('td', { class: 'rollout' }, rolloutWords(d)),
      h(
        'td',
        {},
        canKill &&
          !killed &&
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-action': 'flag-kill',
              onclick: async () => {
                const reason = await confirmAction({
                  title: `Turn ${f.key} off?`,
                  text: `Everyone in ${env} gets ${d.defaultVariant ?? 'the default'} from the next evaluation on; apps with the slipway provider follow within a second.`,
                  confirm: 'Turn off',
                  reason: 'required',
                  danger: true,
                });
                if (reason === null) return;
                try {
                  await api(
                    'POST',
                    `/api/flags/${encodeURIComponent(env)}/${encodeURIComponent(f.key)}/kill`,
                    { reason },
                  );
                  announce(`${f.key} is off in ${env}`);
                  done();
                } catch (e) {
                  error.textContent = (e as Error).message;
                }
              },
            },
            'Turn off',
          ),
      ),
    );
  });
  return h(
    'div',
    { class: 'flags' },
    h('table', { class: 'flags' }, h('caption', {}, 'Feature flags'), h('tbody', {}, rows)),
    error,
  );
}
