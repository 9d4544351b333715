import { AppError } from '../errors';

/**
 * A stored secret this process cannot read. Never carries the ciphertext or any key material;
 * the message names the key id and what to do, so an operator can fix the deployment.
 */
export class SecretsUnreadableError extends AppError {
  override name = 'SecretsUnreadableError';
  constructor(
    message: string,
    readonly reason: 'unknown_key' | 'authentication_failed' | 'malformed',
    readonly keyId: string | null,
  ) {
    super('secrets_unreadable', message, { reason, key_id: keyId });
  }
}

/** The key ring's source (SECRETS_KEYS, SECRETS_KEY_FILE or the generated file) is unusable. */
export class SecretsConfigError extends Error {
  override name = 'SecretsConfigError';
}
