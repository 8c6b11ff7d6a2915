/**
 * An environment's weights shared between the agent's main thread (the only writer) and the router
 * thread (the reader), so a weight change applies at the router thread's next request without
 * waking that thread: the main thread writes, the next `pick()` reads. A seqlock over a
 * SharedArrayBuffer: the writer makes the sequence odd, writes, makes it even again; a reader that
 * saw it odd or changed under its read takes the new weights at its next request instead.
 *
 * Layout: Int32 [0] the sequence; Float64 from byte 8, one weight per release, in the order of the
 * environment's applied releases.
 */
export class SharedWeights {
  readonly buffer: SharedArrayBuffer;
  private readonly seq: Int32Array;
  private readonly values: Float64Array;
  /** The sequence of the last weights read (reader side). */
  private seen = 0;

  /** A new buffer for `count` releases (writer side), or the reader's view of one. */
  constructor(source: number | SharedArrayBuffer) {
    this.buffer = typeof source === 'number' ? new SharedArrayBuffer(8 + 8 * source) : source;
    this.seq = new Int32Array(this.buffer, 0, 1);
    this.values = new Float64Array(this.buffer, 8);
  }

  get count(): number {
    return this.values.length;
  }

  write(weights: readonly number[]): void {
    if (weights.length !== this.values.length) {
      throw new Error(`shared weights: ${weights.length} weights for ${this.values.length} releases`);
    }
    Atomics.add(this.seq, 0, 1);
    this.values.set(weights);
    Atomics.add(this.seq, 0, 1);
  }

  /** The weights written since the last call that returned some, or undefined when none (or one is being written). */
  changed(): number[] | undefined {
    const before = Atomics.load(this.seq, 0);
    if (before === this.seen || (before & 1) === 1) return undefined;
    const weights = Array.from(this.values);
    if (Atomics.load(this.seq, 0) !== before) return undefined;
    this.seen = before;
    return weights;
  }
}
