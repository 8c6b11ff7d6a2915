import { closest, distance } from 'fastest-levenshtein';

/** The candidate nearest to `word`, when it is near enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  // An abbreviation ("prod" for "production") is as likely as a typo.
  const prefixed = candidates.filter(
    (c) => word.length >= 3 && c.toLowerCase().startsWith(word.toLowerCase()),
  );
  if (prefixed.length === 1) return prefixed[0];
  const best = closest(word, [...candidates]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(word.toLowerCase(), best.toLowerCase()) <= limit ? best : undefined;
}

export function suggestion(word: string, candidates: readonly string[]): string {
  const best = didYouMean(word, candidates);
  return best === undefined ? '' : `; did you mean "${best}"?`;
}
