import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { checkFreshness, parseJson, parseUnixSeconds, requireHeader } from './checks';
import { MalformedError, SignatureError } from './errors';
import { JSON_TYPES, toleranceS } from './schema-parts';
import type { Provider } from './types';

/**
 * SendGrid documents no tolerance and retries for 72 h; whether a retry is re-signed is not
 * documented, so the window covers the retry horizon. A replay inside it is a duplicate
 * `sg_event_id` (dedup outlives the window) and changes nothing.
 */
const DEFAULT_TOLERANCE_S = 3 * 86_400 + 3600;

function publicKey(b64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
}

const ecKey = z
  .string()
  .min(1)
  .max(1024)
  .refine((s) => {
    try {
      const k = publicKey(s);
      return k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    } catch {
      return false;
    }
  }, 'must be the base64 DER (SPKI) P-256 verification key from Mail Settings');

const schema = z
  .object({
    provider: z.literal('sendgrid'),
    /** The signed Event Webhook's verification key: base64 DER, as SendGrid shows it. */
    secret: ecKey,
    tolerance_s: toleranceS,
  })
  .strict();

/** ECDSA P-256 / SHA-256 over `timestamp + raw body`; signature is base64 DER. */
export function verifySendgridSignature(key: KeyObject, timestamp: string, body: Buffer, signatureB64: string): boolean {
  try {
    return verify('sha256', Buffer.concat([Buffer.from(timestamp), body]), { key, dsaEncoding: 'der' }, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** The body is a JSON array; each element is its own event, deduplicated on `sg_event_id`. */
export const sendgrid: Provider<typeof schema> = {
  name: 'sendgrid',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg) {
    const key = publicKey(cfg.secret);
    const tolerance = cfg.tolerance_s ?? DEFAULT_TOLERANCE_S;
    return ({ body, headers, nowS }) => {
      const sig = requireHeader(headers, 'x-twilio-email-event-webhook-signature');
      const ts = requireHeader(headers, 'x-twilio-email-event-webhook-timestamp');
      if (!verifySendgridSignature(key, ts, body, sig)) throw new SignatureError('The SendGrid signature does not verify.');
      checkFreshness(parseUnixSeconds(ts), nowS, tolerance);
      const list = parseJson(body);
      if (!Array.isArray(list) || list.length === 0) throw new MalformedError('The body is not a non-empty JSON array of events.');
      const events = list.map((item: unknown, i) => {
        const e = item as Record<string, unknown> | null;
        if (typeof e !== 'object' || e === null || typeof e.sg_event_id !== 'string' || !e.sg_event_id) {
          throw new MalformedError(`Event ${i} has no sg_event_id.`);
        }
        // One element of the signed array; Frappe gets each event on its own.
        return { provider_event_id: e.sg_event_id, type: typeof e.event === 'string' ? e.event : '', payload: JSON.stringify(e) };
      });
      return { events };
    };
  },
};
