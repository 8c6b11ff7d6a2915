/**
 * Writes one file again and again, each time whole and atomically (writeFileAtomicAsync), off the
 * event loop, in order: at most one write runs; a write asked for meanwhile waits, and a newer one
 * replaces a waiting older one (the file holds whole states, so the newer one holds the older
 * change too). Each caller's promise resolves once a write of its content or of a newer one is
 * durable, and rejects with that write's error: every promise settles, whatever happens.
 *
 * @example
 * const writer = new OrderedWriter('/srv/app/.slipway/agent/agent-state.json');
 * await writer.write(() => JSON.stringify(state)); // durable when it resolves
 * await writer.idle(); // before a clean stop
 */
import { writeFileAtomicAsync } from './atomic-file.ts';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class OrderedWriter {
  readonly path: string;
  private readonly writeFile: (path: string, content: string | Uint8Array) => Promise<void>;
  /** The content of the next write (made when that write starts) and everyone waiting on it. */
  private next: { content: () => string | Uint8Array; waiters: Waiter[] } | undefined;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  /** `writeFile` is for tests that need a write to be slow or to fail; default writeFileAtomicAsync. */
  constructor(path: string, writeFile?: (path: string, content: string | Uint8Array) => Promise<void>) {
    this.path = path;
    this.writeFile = writeFile ?? ((p, c) => writeFileAtomicAsync(p, c));
  }

  /**
   * Asks for the file to hold `content()`; it is called when the write starts, not now, so a
   * content replaced before then is never made. Resolves when it (or a newer one) is on disk.
   */
  write(content: () => string | Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.next) this.next = { content, waiters: [...this.next.waiters, waiter] };
      else this.next = { content, waiters: [waiter] };
      if (!this.running) void this.drain();
    });
  }

  /** Resolves once no write runs or waits (a clean stop waits for it; it never rejects). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.next) {
        const { content, waiters } = this.next;
        this.next = undefined;
        try {
          await this.writeFile(this.path, content());
          for (const w of waiters) w.resolve();
        } catch (error) {
          // The next write (if any) is still tried: it holds a whole state of its own.
          for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.running = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
