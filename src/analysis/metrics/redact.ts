/**
 * URLs as they may appear in messages: metric endpoints sometimes carry credentials in the
 * userinfo (`https://user:pass@host`) or in the query (`?api_key=...`). Both are masked, so a
 * measurement error can be stored and shown without leaking a secret.
 */
const SECRET_PARAM = /(token|key|secret|password|passwd|auth|signature|sig|credential)/i;

export function safeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '<invalid URL>';
  }
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  }
  // URLSearchParams encodes '*' as %2A; show the mask as written.
  return url.toString().replaceAll('%2A%2A%2A', '***');
}
