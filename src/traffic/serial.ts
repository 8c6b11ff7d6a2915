/**
 * One queue per key: changes to one environment's routing run one after another (an apply never
 * interleaves with a weight change or a removal), while environments proceed independently. A
 * failed change rejects its own caller and does not block the next one.
 */
export class KeyedSerial {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.#tails.get(key) ?? Promise.resolve()).then(fn);
    this.#tails.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }
}
