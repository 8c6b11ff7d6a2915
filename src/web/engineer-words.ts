/**
 * Engineer terms a client must not read in the client view (the dashboard for viewers and
 * approvers): step and strategy names, metric jargon, ids, commands, audit codes, raw UTC times.
 * words.test.ts checks the client view's sentences against it; the browser test the rendered pages.
 */
export const ENGINEER_WORDS: readonly RegExp[] = [
  /\bpreflight\b/i,
  /\bsmoke\b/i,
  /\banalysis\b/i,
  /\bwatch \d+s\b/i,
  /\bfinali[sz]e\b/i,
  /\bcanary\b/i,
  /\bblue-green\b/i,
  /\blatency\b/i,
  /\bp95\b/i,
  /\bbaseline\b/i,
  /\brules? passed\b/i,
  /\bthreshold\b/i,
  /\bdep-[0-9a-f]/i,
  /\brel-[0-9a-f]/i,
  /\bsha256\b/i,
  /\bdigest\b/i,
  /\bslipway [a-z]/i,
  /--[a-z]/,
  /\bgate\.[a-z]/i,
  /\b[a-z]+\.[a-z]+\.(wait|open|blocked|skipped)\b/i,
  /\bconfig keys?\b/i,
  /\btraffic\b/i,
  /\binstances?\b/i,
  /\bweight\b/i,
  /\brolled[_ ]back\b/i,
  /\brollback\b/i,
  /\d{4}-\d\d-\d\dT\d\d:\d\d/,
  /\bUTC\b/,
  /\b\d+\/\d+\/\d{4}\b/,
];

/** The engineer terms found in `text`. */
export function engineerWordsIn(text: string): string[] {
  return ENGINEER_WORDS.flatMap((re) => {
    const m = re.exec(text);
    return m ? [m[0]] : [];
  });
}
