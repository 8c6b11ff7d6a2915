/**
 * Aho-Corasick multi-pattern search over UTF-16 code units: every known secret form is found in
 * one pass over the text, whatever the number of secrets. The automaton also tells, at the end of
 * a chunk, how many trailing characters could still be the start of a secret; a stream holds
 * back exactly those and no more.
 */

export interface Match {
  readonly start: number;
  readonly end: number;
  /** Index into the patterns given to the constructor. */
  readonly pattern: number;
}

export class AhoCorasick {
  readonly #next: Map<number, number>[] = [new Map()];
  readonly #fail: number[] = [0];
  readonly #depth: number[] = [0];
  /** Pattern ending exactly at this node (the node's own word), or -1. */
  readonly #word: number[] = [-1];
  /** Nearest node on the failure chain that ends a word, or 0. */
  readonly #dict: number[] = [0];
  readonly #lengths: number[];
  /** Transitions out of the start state for every UTF-16 unit: most positions of a log are there. */
  readonly #root = new Int32Array(65536);

  constructor(patterns: readonly string[]) {
    this.#lengths = patterns.map((p) => p.length);
    patterns.forEach((pattern, index) => {
      if (pattern.length === 0) throw new Error('AhoCorasick: empty pattern');
      let node = 0;
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern.charCodeAt(i);
        let child = this.#next[node]!.get(c);
        if (child === undefined) {
          child = this.#next.length;
          this.#next.push(new Map());
          this.#fail.push(0);
          this.#depth.push(this.#depth[node]! + 1);
          this.#word.push(-1);
          this.#dict.push(0);
          this.#next[node]!.set(c, child);
        }
        node = child;
      }
      if (this.#word[node] === -1) this.#word[node] = index;
    });
    for (const [c, child] of this.#next[0]!) this.#root[c] = child;
    // Breadth-first: a node's failure link is the longest proper suffix that is also a trie path.
    const queue: number[] = [...this.#next[0]!.values()];
    for (let q = 0; q < queue.length; q++) {
      const node = queue[q]!;
      for (const [c, child] of this.#next[node]!) {
        let f = this.#fail[node]!;
        while (f !== 0 && !this.#next[f]!.has(c)) f = this.#fail[f]!;
        const target = this.#next[f]!.get(c);
        this.#fail[child] = target !== undefined && target !== child ? target : 0;
        const fc = this.#fail[child]!;
        this.#dict[child] = this.#word[fc] !== -1 ? fc : this.#dict[fc]!;
        queue.push(child);
      }
    }
  }

  /** The state after reading `text` from `state` (0 = start), and every match that ends in `text`. */
  scan(text: string, state = 0): { matches: Match[]; state: number } {
    const matches: Match[] = [];
    let node = state;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (node === 0) {
        node = this.#root[c]!;
        if (node === 0) continue;
      } else {
        let child = this.#next[node]!.get(c);
        while (child === undefined && node !== 0) {
          node = this.#fail[node]!;
          child = node === 0 ? this.#root[c] || undefined : this.#next[node]!.get(c);
        }
        node = child ?? 0;
      }
      for (let out = this.#word[node] !== -1 ? node : this.#dict[node]!; out !== 0; out = this.#dict[out]!) {
        const pattern = this.#word[out]!;
        matches.push({ start: i + 1 - this.#lengths[pattern]!, end: i + 1, pattern });
      }
    }
    return { matches, state: node };
  }

  /** How many characters at the end of the scanned text could begin a match not yet complete. */
  pendingLength(state: number): number {
    return this.#depth[state]!;
  }
}

export interface Span {
  readonly start: number;
  readonly end: number;
  /** Patterns that matched inside the span, in order of their first match. */
  readonly patterns: readonly number[];
}

/**
 * Merge overlapping (and touching-by-overlap) matches into disjoint spans. Redacting the union
 * rather than picking one match means no part of any matched secret is left in the output.
 */
export function mergeMatches(matches: readonly Match[]): Span[] {
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - a.end);
  const spans: { start: number; end: number; patterns: number[] }[] = [];
  for (const m of sorted) {
    const last = spans.at(-1);
    if (last !== undefined && m.start < last.end) {
      last.end = Math.max(last.end, m.end);
      if (!last.patterns.includes(m.pattern)) last.patterns.push(m.pattern);
    } else {
      spans.push({ start: m.start, end: m.end, patterns: [m.pattern] });
    }
  }
  return spans;
}
