import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretsConfigError, SecretsUnreadableError } from './errors';

/**
 * Secrets at rest (connection credentials, OAuth tokens, webhook secrets and header values in
 * Redis): AES-256-GCM under a key ring. New writes use the newest key; every key in the ring
 * stays readable, so keys rotate without downtime and `rekey` moves old values forward.
 *
 * Sealed form: `enc1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`. The key id travels with each
 * value, so a value written under a key this process lacks fails with a typed error instead of
 * decrypting to garbage. A context string (e.g. `cn:stripe-live:credentials`) is bound as
 * additional authenticated data, so a sealed value copied into another record fails too.
 */

export interface RingKey {
  id: string;
  key: Buffer;
}

const PREFIX = 'enc1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `id:base64,id:base64…` (SECRETS_KEYS) or the same one per line (the key file); the
 * last entry is the newest. Errors name the entry's position, never its value.
 */
export function parseKeyList(text: string, source: string): RingKey[] {
  const entries = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new SecretsConfigError(`${source}: no keys`);
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new SecretsConfigError(`${source}: entry ${i + 1} needs the form <id>:<base64 key>, id of 1–32 [A-Za-z0-9_-]`);
    if (seen.has(id)) throw new SecretsConfigError(`${source}: key id "${id}" appears twice`);
    seen.add(id);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new SecretsConfigError(`${source}: key "${id}" must be 32 bytes (base64 of 32 random bytes), got ${key.length}`);
    return { id, key };
  });
}

/** A fresh key entry (`id:base64`) for a key file or SECRETS_KEYS. */
export const newKeyEntry = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

export class KeyRing {
  private readonly keys: ReadonlyMap<string, Buffer>;
  /** The key new values are sealed with: the last one listed. */
  readonly currentId: string;

  constructor(keys: RingKey[]) {
    if (keys.length === 0) throw new SecretsConfigError('a key ring needs at least one key');
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.currentId = keys[keys.length - 1]!.id;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  /** The key id a sealed value names, or null for a plain (legacy) value. */
  static keyIdOf(value: string): string | null {
    if (!value.startsWith(PREFIX)) return null;
    const dot = value.indexOf('.', PREFIX.length);
    return dot < 0 ? null : value.slice(PREFIX.length, dot);
  }

  /** True when a value is plain or sealed under an older key: `rekey` rewrites it. */
  isStale(value: string): boolean {
    return KeyRing.keyIdOf(value) !== this.currentId;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentId}.${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** @throws {@link SecretsUnreadableError} for an unknown key, a wrong key or context, or a damaged value. */
  open(sealed: string, context: string): string {
    const id = KeyRing.keyIdOf(sealed);
    if (id === null) throw new SecretsUnreadableError('a stored secret is not in the sealed format', 'malformed', null);
    const key = this.keys.get(id);
    if (!key) {
      throw new SecretsUnreadableError(
        `a stored secret was encrypted under key "${id}", which this sidecar does not have (it has: ${this.ids.join(', ')}); ` +
          'give every sidecar process the same SECRETS_KEYS / key file',
        'unknown_key',
        id,
      );
    }
    const raw = Buffer.from(sealed.slice(PREFIX.length + id.length + 1), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretsUnreadableError(`a stored secret under key "${id}" is truncated`, 'malformed', id);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretsUnreadableError(
        `a stored secret failed authentication under key "${id}": the key material differs from the one that wrote it, or the value was altered or moved`,
        'authentication_failed',
        id,
      );
    }
  }

  /** Opens a sealed value; a plain legacy value is returned as it is (callers then rewrite it sealed). */
  openOrPlain(value: string, context: string): string {
    return KeyRing.isSealed(value) ? this.open(value, context) : value;
  }
}
