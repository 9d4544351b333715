import { z } from 'zod';
import { asRecord, checkFreshness, hmacSha256, parseJson, requireHeader, safeEqual, stringField } from './checks';
import { SignatureError } from './errors';
import { JSON_TYPES, secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

/** stripe-node's DEFAULT_TOLERANCE; Stripe signs every attempt afresh, so retries pass it. */
const DEFAULT_TOLERANCE_S = 300;

const schema = z
  .object({
    provider: z.literal('stripe'),
    /** The endpoint's `whsec_…` signing secret, used as-is (not base64-decoded). */
    secret: secretString,
    tolerance_s: toleranceS,
  })
  .strict();

/** `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`: any v1 may match (secret roll). */
function parseHeader(value: string): { t: string; v1: string[] } {
  let t = '';
  const v1: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') v1.push(v);
  }
  if (!t || v1.length === 0) throw new SignatureError('Stripe-Signature has no t or v1 element.');
  return { t, v1 };
}

export const stripe: Provider<typeof schema> = {
  name: 'stripe',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg) {
    const tolerance = cfg.tolerance_s ?? DEFAULT_TOLERANCE_S;
    return ({ body, headers, nowS }) => {
      const { t, v1 } = parseHeader(requireHeader(headers, 'stripe-signature'));
      const expected = hmacSha256(cfg.secret, `${t}.`, body).toString('hex');
      // Check every candidate without an early exit so the count of matches does not leak.
      let ok = false;
      for (const sig of v1) ok = safeEqual(expected, sig) || ok;
      if (!ok) throw new SignatureError('No Stripe-Signature v1 matches.');
      checkFreshness(Number(t), nowS, tolerance);
      const event = asRecord(parseJson(body), 'The event');
      return { events: [{ provider_event_id: stringField(event, 'id'), type: stringField(event, 'type') }] };
    };
  },
};
