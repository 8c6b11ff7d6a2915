/**
 * The actions on a deployment or an environment, each behind a confirmation and shown only when
 * the signed-in user's roles allow it (the server checks again; this only hides what would fail).
 */
import { api } from './api.ts';
import { confirmAction } from './confirm.ts';
import { announce, h } from './dom.ts';

interface ActionSpec {
  readonly label: string;
  readonly title: string;
  readonly text: (version: string, env: string) => string;
  readonly reason?: 'optional' | 'required';
  readonly danger?: boolean;
}

export const ACTIONS: Record<string, ActionSpec> = {
  approve: {
    label: 'Approve',
    title: 'Approve going live?',
    text: (v, env) => `Version ${v} will continue to ${env}. Your name is recorded with this decision.`,
    reason: 'optional',
  },
  reject: {
    label: 'Reject',
    title: 'Reject this version?',
    text: (v, env) => `Version ${v} will not go to ${env}; the deployment stops.`,
    reason: 'required',
    danger: true,
  },
  pause: {
    label: 'Pause',
    title: 'Pause the rollout?',
    text: (v) => `Traffic to version ${v} stays where it is until resumed.`,
  },
  resume: {
    label: 'Resume',
    title: 'Resume the rollout?',
    text: (v) => `Version ${v} continues its rollout steps.`,
  },
  abort: {
    label: 'Abort',
    title: 'Abort the rollout?',
    text: (v, env) => `Version ${v} is taken off ${env}; the previous version keeps serving.`,
    reason: 'optional',
    danger: true,
  },
  rollback: {
    label: 'Roll back',
    title: 'Roll back?',
    text: (v, env) => `${env} goes back to the version before ${v}.`,
    reason: 'optional',
    danger: true,
  },
};

/** Buttons for the actions `allowed` on a deployment; `done` runs after a successful action. */
export function actionButtons(opts: {
  id: string;
  version: string;
  env: string;
  status: string;
  /** The kind of the current step: approve and reject only while it is the approval. */
  step: string | undefined;
  allowed: readonly string[];
  done: () => void;
  /** What the confirmation says instead of the default, per action (e.g. when approval goes live). */
  texts?: Readonly<Record<string, string>>;
}): HTMLElement {
  const inFlight = opts.status === 'running' || opts.status === 'paused';
  const shown = Object.keys(ACTIONS).filter(
    (a) =>
      inFlight &&
      opts.allowed.includes(a) &&
      ((a !== 'approve' && a !== 'reject') || opts.step === 'approval') &&
      !(a === 'pause' && opts.status === 'paused') &&
      !(a === 'resume' && opts.status !== 'paused'),
  );
  const error = h('p', { class: 'error', role: 'alert' });
  const buttons = shown.map((a) => {
    const spec = ACTIONS[a] as ActionSpec;
    return h(
      'button',
      {
        type: 'button',
        class: spec.danger ? 'danger' : a === 'approve' ? 'primary' : '',
        'data-action': a,
        onclick: async () => {
          const reason = await confirmAction({
            title: spec.title,
            text: opts.texts?.[a] ?? spec.text(opts.version, opts.env),
            confirm: spec.label,
            ...(spec.reason && { reason: spec.reason }),
            ...(spec.danger && { danger: true }),
          });
          if (reason === null) return;
          try {
            await api(
              'POST',
              `/api/deployments/${encodeURIComponent(opts.id)}/${a}`,
              reason ? { reason } : {},
            );
            announce(`${spec.label}: done`);
            opts.done();
          } catch (e) {
            error.textContent = (e as Error).message;
          }
        },
      },
      spec.label,
    );
  });
  if (shown.length === 0) return h('div', { class: 'actions' });
  return h('div', { class: 'actions' }, h('div', { class: 'buttons' }, buttons), error);
}

/** Roll an environment back when nothing is in flight (a warm switch or a redeploy). */
export function envRollbackButton(env: string, version: string, done: () => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'data-action': 'env-rollback',
      onclick: async () => {
        const spec = ACTIONS.rollback as ActionSpec;
        const reason = await confirmAction({
          title: spec.title,
          text: spec.text(version, env),
          confirm: spec.label,
          reason: 'optional',
          danger: true,
        });
        if (reason === null) return;
        try {
          const r = await api<{ kind: string; switchMs: number | null; release: string | null }>(
            'POST',
            `/api/environments/${encodeURIComponent(env)}/rollback`,
            reason ? { reason } : {},
          );
          announce(r.switchMs !== null ? `Switched back in ${Math.round(r.switchMs)} ms` : 'Rolling back');
          done();
        } catch (e) {
          error.textContent = (e as Error).message;
        }
      },
    },
    `Roll ${env} back`,
  );
  return h('div', { class: 'actions' }, button, error);
}

/** An admin lets a deployment waiting for its deploy window go now (a reason is needed; audited). */
export function overrideWindowButton(
  id: string,
  version: string,
  env: string,
  done: () => void,
): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'data-action': 'override-window',
      onclick: async () => {
        const reason = await confirmAction({
          title: 'Go live outside the deploy window?',
          text: `Version ${version} goes on to ${env} now instead of waiting for the window. The override is recorded with your name and reason.`,
          confirm: 'Override the window',
          reason: 'required',
          danger: true,
        });
        if (reason === null) return;
        try {
          await api('POST', `/api/deployments/${encodeURIComponent(id)}/override`, {
            gate: 'window',
            reason,
          });
          announce('The window is overridden');
          button.remove();
          done();
        } catch (e) {
          error.textContent = (e as Error).message;
        }
      },
    },
    'Override the window…',
  );
  return h('div', { class: 'actions' }, button, error);
}
