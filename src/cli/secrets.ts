/**
 * Credentials the CLI obtained at run time (from `TINKER_CREDENTIAL_CMD` or the credentials
 * file), so error output can redact them like the flag and the variable. No imports: the driver
 * reads it on every failure.
 * @module
 */

const obtained = new Set<string>();

/** Remember a credential that must never be printed. */
export function rememberSecret(secret: string): void {
  if (secret.length >= 4) obtained.add(secret);
}

/** Every credential remembered so far. */
export function rememberedSecrets(): string[] {
  return [...obtained];
}
