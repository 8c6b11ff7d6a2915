/**
 * The key-name heuristic: a variable named like a credential is treated as secret even when nobody
 * declared it so (DB_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, STRIPE_KEY, ...).
 */
const SECRET_NAME =
  /(?:^|[_.-])(?:KEY|TOKEN|PAT)$|PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIAL|PRIVATE_?KEY|API_?KEY/i;
// Names that match the pattern but are not secret by convention.
const NOT_SECRET = /(?:^|[_.-])PUBLIC_?KEY$|(?:^|[_.-])(?:KEY_ID|KEY_NAME|KEY_FILE|TOKEN_URL|SECRET_NAME)$/i;

/** True when a key's name says it holds a credential. */
export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}
