import { createHmac, randomBytes } from 'node:crypto';

/**
 * Outbound signatures (DESIGN §3): Standard Webhooks `webhook-signature` and Frappe core's
 * `X-Frappe-Webhook-Signature`. Both are computed over the exact bytes that go on the wire;
 * the caller must sign the same string/Buffer it sends, never a re-serialisation.
 */

const PREFIX = 'whsec_';
/** Standard Webhooks: symmetric secrets are 24–64 random bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
/** Strict, padded, standard-alphabet base64: `Buffer.from(s, 'base64')` silently skips bad characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class InvalidSecretError extends Error {
  override name = 'InvalidSecretError';
}

/**
 * `whsec_<base64>` → HMAC key bytes. The prefix is optional, as in the `standardwebhooks` and
 * `svix` libraries (both strip it if present, then base64-decode), so a receiver built on
 * either derives the same key from the same string. The message never echoes the secret.
 */
export function parseSecret(s: string): Buffer {
  const b64 = s.startsWith(PREFIX) ? s.slice(PREFIX.length) : s;
  if (!BASE64.test(b64)) throw new InvalidSecretError('secret must be whsec_ followed by standard base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw new InvalidSecretError(`secret must decode to ${MIN_KEY_BYTES}–${MAX_KEY_BYTES} bytes, got ${key.length}`);
  }
  return key;
}

/**
 * The `webhook-signature` value: one `v1,<base64>` per key, space-joined, so receivers holding
 * either the old or the new key verify during a rotation. Signed content is
 * `${msgId}.${tsSeconds}.${body}`; the body is fed to the HMAC separately so it is not copied.
 */
export function signStandard(keys: Buffer[], msgId: string, tsSeconds: number, body: string | Buffer): string {
  if (!Number.isSafeInteger(tsSeconds)) throw new RangeError('tsSeconds must be an integer');
  const prefix = `${msgId}.${tsSeconds}.`;
  let out = '';
  for (const key of keys) {
    const mac = createHmac('sha256', key).update(prefix);
    // `update(string)` encodes UTF-8, the same bytes undici writes for a string body.
    if (typeof body === 'string') mac.update(body, 'utf8');
    else mac.update(body);
    out += (out ? ' v1,' : 'v1,') + mac.digest('base64');
  }
  return out;
}

/** Frappe core: base64 of the raw HMAC-SHA256 digest of the body, keyed with the UTF-8 secret. */
export function signFrappe(secret: string, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  if (typeof body === 'string') mac.update(body, 'utf8');
  else mac.update(body);
  return mac.digest('base64');
}

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}
