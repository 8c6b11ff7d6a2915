/** A confirmation dialog (<dialog>: focus is trapped and Escape cancels, by the browser itself). */
import { h } from './dom.ts';

/** Resolves with the reason typed (empty string when none), or null when cancelled. */
export function confirmAction(opts: {
  title: string;
  text: string;
  confirm: string;
  reason?: 'optional' | 'required';
  danger?: boolean;
}): Promise<string | null> {
  return new Promise((resolve) => {
    const reason = opts.reason
      ? h('textarea', { id: 'confirm-reason', rows: 2, maxlength: 500, required: opts.reason === 'required' })
      : null;
    const error = h('p', { class: 'error', role: 'alert' });
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'confirm-title', class: 'confirm' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, opts.title),
        h('p', {}, opts.text),
        reason &&
          h(
            'label',
            { for: 'confirm-reason' },
            opts.reason === 'required' ? 'Reason (needed)' : 'Reason (optional)',
          ),
        reason,
        error,
        h(
          'div',
          { class: 'buttons' },
          h('button', { type: 'button', value: 'cancel', onclick: () => dialog.close('cancel') }, 'Cancel'),
          h(
            'button',
            { type: 'submit', value: 'ok', class: opts.danger ? 'danger' : 'primary', id: 'confirm-ok' },
            opts.confirm,
          ),
        ),
      ),
    );
    dialog.addEventListener('submit', (e) => {
      if (reason && opts.reason === 'required' && !reason.value.trim()) {
        e.preventDefault();
        error.textContent = 'Please give a reason.';
        reason.focus();
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok' ? (reason?.value.trim() ?? '') : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (reason ?? dialog.querySelector<HTMLButtonElement>('#confirm-ok'))?.focus();
  });
}
