/**
 * The client's own buttons, each behind a confirmation that says what will happen: Accept or
 * Reject (with a reason) a release on an environment that asks for acceptance, and "Revert now"
 * (the same rollback as `slipway rollback ENV`; it never waits for a window).
 */
import { api } from './api.ts';
import { duration } from './client-words.ts';
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

/**
 * "Rehearse switching back" (before the last environment only): visitors of `env` get the
 * previous version for a moment and then this one again; the measured time is shown and kept,
 * so the revert time quoted elsewhere is backed by a real switch.
 */
export function rehearseButton(
  env: string,
  versions: { now: string; previous: string },
  done: () => void,
): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const result = h('p', { class: 'plain rehearsal', role: 'status' });
  const run = async () => {
    const ok = await confirmAction({
      title: `Rehearse switching back on ${env}?`,
      text: `Everyone on ${env} is sent back to version ${versions.previous} and then at once to version ${versions.now} again, to measure how quickly switching back works. It takes a moment and is recorded with your name.`,
      confirm: 'Rehearse',
    });
    if (ok === null) return;
    error.textContent = '';
    const r = await api<{ ms: number; backMs: number; previousVersion: string; version: string }>(
      'POST',
      `/api/environments/${encodeURIComponent(env)}/revert-drill`,
      {},
    );
    result.textContent = `Switching back to version ${r.previousVersion} took ${duration(r.ms)}; ${env} runs version ${r.version} again.`;
    announce(result.textContent);
    done();
  };
  return h(
    'div',
    { class: 'actions' },
    button('Rehearse switching back', '', 'rehearse-revert', run, error),
    result,
    error,
  );
}
