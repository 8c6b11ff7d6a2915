/**
 * Following what happens, for the overview and history: the server's `/api/live` stream says
 * when something changed, and the view is rebuilt then. While the stream is down (not yet open,
 * dropped, or refused by a proxy) the view polls instead, and the browser's EventSource keeps
 * reconnecting; a stream that closed for good is opened again after a while.
 */

export interface Follow {
  /** Called when something may have changed; the caller rebuilds its view. */
  readonly changed: () => void;
  /** How often to poll while the stream is down. */
  readonly pollMs: number;
  /** A slow refresh even with the stream up, for what no store write marks (what the agent serves). */
  readonly slowMs?: number;
}

export type LiveState = 'stream' | 'polling';

/** Start following; returns the function that stops it. */
export function follow(f: Follow): () => void {
  let source: EventSource | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let reopen: ReturnType<typeof setTimeout> | null = null;
  const slow = setInterval(f.changed, f.slowMs ?? 30_000);
  const polling = (on: boolean) => {
    document.documentElement.dataset.live = on ? 'polling' : 'stream';
    if (on && !poll) poll = setInterval(f.changed, f.pollMs);
    if (!on && poll) {
      clearInterval(poll);
      poll = null;
    }
  };
  const open = () => {
    reopen = null;
    if (typeof EventSource === 'undefined') return;
    source = new EventSource('/api/live', { withCredentials: true });
    source.addEventListener('ready', () => {
      polling(false);
      // Whatever happened while the stream was down is shown now.
      f.changed();
    });
    source.addEventListener('change', () => f.changed());
    source.addEventListener('error', () => {
      polling(true);
      // CLOSED: the browser gave up (an HTTP error); try again later, polling meanwhile.
      if (source?.readyState === EventSource.CLOSED && !reopen) reopen = setTimeout(open, 10_000);
    });
  };
  polling(true);
  open();
  return () => {
    source?.close();
    if (poll) clearInterval(poll);
    if (reopen) clearTimeout(reopen);
    clearInterval(slow);
  };
}
