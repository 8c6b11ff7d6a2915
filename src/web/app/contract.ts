/**
 * The contract phase on an environment's card: the contract migrations its live release held back,
 * why they cannot run yet, or — for an approver there — the go that runs them
 * (POST /api/environments/{env}/migrations/contract, audited on the server).
 */
import { api } from './api.ts';
import { confirmAction } from './confirm.ts';
import { announce, h } from './dom.ts';

export interface ContractPending {
  env: string;
  release: string | null;
  pending: string[];
  mayRun: boolean;
  why: string | null;
}

export function contractSection(
  info: ContractPending | null,
  mayApprove: boolean,
  done: () => void,
): HTMLElement | null {
  if (!info || info.pending.length === 0) return null;
  const files = info.pending.join(', ');
  const text = `Version ${info.release} holds contract migrations (${files}): they remove what older versions still use, so they wait for their own go.`;
  if (!info.mayRun)
    return h(
      'div',
      { class: 'contract' },
      h('p', {}, text),
      h('p', { class: 'plain' }, `Not yet: ${info.why}`),
    );
  if (!mayApprove) return h('div', { class: 'contract' }, h('p', {}, `${text} An approver gives it.`));
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'data-action': 'approve-contract',
      onclick: async () => {
        const reason = await confirmAction({
          title: `Run the contract migrations on ${info.env}?`,
          text: `${files} will run on ${info.env}'s database after a backup. Afterwards, going back to a version before them needs a database restore.`,
          confirm: 'Approve and run',
          reason: 'optional',
          danger: true,
        });
        if (reason === null) return;
        try {
          const r = await api<{ summary: string }>(
            'POST',
            `/api/environments/${encodeURIComponent(info.env)}/migrations/contract`,
            reason ? { reason } : {},
          );
          announce(r.summary);
          done();
        } catch (e) {
          error.textContent = (e as Error).message;
        }
      },
    },
    'Approve the contract phase',
  );
  return h('div', { class: 'contract actions' }, h('p', {}, text), button, error);
}
