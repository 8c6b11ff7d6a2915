/**
 * The client's own buttons, each behind a confirmation that says what will happen: Accept or
 * Reject (with a reason) a release on an environment that asks for acceptance, and "Revert now"
 * (the same rollback as `slipway rollback ENV`; it never waits for a window).
 */
import { api } from './api.ts';
import { confirmAction } from './confirm.ts';
import { announce, h } from './dom.ts';

function button(
  label: string,
  cls: string,
  action: string,
  run: (error: HTMLElement) => Promise<void>,
  error: HTMLElement,
): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: cls,
      'data-action': action,
      onclick: async () => {
        try {
          await run(error);
        } catch (e) {
          error.textContent = (e as Error).message;
        }
      },
    },
    label,
  );
}

export function acceptButtons(env: string, version: string, done: () => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const decide = (decision: 'accept' | 'reject') => async () => {
    const reason = await confirmAction(
      decision === 'accept'
        ? {
            title: `Accept version ${version}?`,
            text: `You tried version ${version} on ${env} and it is fine. The next environment may take it once approved there. Your name and the time are recorded.`,
            confirm: 'Accept',
            reason: 'optional',
          }
        : {
            title: `Reject version ${version}?`,
            text: `Version ${version} goes no further than ${env}. Say what is wrong, so it can be fixed.`,
            confirm: 'Reject',
            reason: 'required',
            danger: true,
          },
    );
    if (reason === null) return;
    await api('POST', `/api/environments/${encodeURIComponent(env)}/acceptance`, {
      release: version,
      decision,
      ...(reason && { reason }),
    });
    announce(decision === 'accept' ? `Accepted version ${version}` : `Rejected version ${version}`);
    done();
  };
  return h(
    'div',
    { class: 'actions' },
    h(
      'div',
      { class: 'buttons' },
      button('Accept', 'primary', 'accept', decide('accept'), error),
      button('Reject…', 'danger', 'reject-release', decide('reject'), error),
    ),
    error,
  );
}

export function revertNowButton(env: string, what: string, done: () => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const run = async () => {
    const reason = await confirmAction({
      title: `Revert ${env} now?`,
      text: `${what} This happens at once, whatever the deploy window, and is recorded with your name.`,
      confirm: 'Revert now',
      reason: 'optional',
      danger: true,
    });
    if (reason === null) return;
    const r = await api<{ kind: string; release: string | null }>(
      'POST',
      `/api/environments/${encodeURIComponent(env)}/revert`,
      reason ? { reason } : {},
    );
    announce(r.release ? `Reverted ${env} to version ${r.release}` : `Reverting ${env}`);
    done();
  };
  return h('div', { class: 'actions' }, button('Revert now', 'danger', 'revert-now', run, error), error);
}
