/**
 * JSON for the wire with the characters HTML cares about (<, >, &, and the JS line separators) as
 * unicode escapes: the same value to a JSON parser, never markup to a browser.
 */
export const escapeJson = (text: string): string =>
  text.replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
