import { z } from 'zod';
import { asRecord, checkFreshness, header, hmacSha256, parseJson, parseUnixSeconds, safeEqual, stringField } from './checks';
import { SignatureError } from './errors';
import { JSON_TYPES, toleranceS } from './schema-parts';
import type { Provider } from './types';

/** The Standard Webhooks JS library's window (5 minutes, past and future). */
const DEFAULT_TOLERANCE_S = 300;

const whsec = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be a whsec_<base64> secret')
  .refine((s) => Buffer.from(s.slice(6), 'base64').length >= 16, 'the key must be at least 16 bytes');

const schema = z
  .object({
    provider: z.literal('standard'),
    /** `whsec_…`, or several during a rotation (any one may sign). */
    secret: z.union([whsec, z.array(whsec).min(1).max(10)]),
    tolerance_s: toleranceS,
  })
  .strict();

/**
 * Standard Webhooks / Svix: `webhook-id`, `webhook-timestamp`, `webhook-signature` (or the
 * `svix-` names); signature list `v1,<base64 HMAC-SHA256(key, id.ts.body)>` space-separated.
 */
export const standard: Provider<typeof schema> = {
  name: 'standard',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg) {
    const keys = (Array.isArray(cfg.secret) ? cfg.secret : [cfg.secret]).map((s) => Buffer.from(s.slice(6), 'base64'));
    const tolerance = cfg.tolerance_s ?? DEFAULT_TOLERANCE_S;
    return ({ body, headers, nowS }) => {
      const prefix = header(headers, 'webhook-id') !== undefined ? 'webhook-' : 'svix-';
      const id = header(headers, `${prefix}id`);
      const ts = header(headers, `${prefix}timestamp`);
      const sigs = header(headers, `${prefix}signature`);
      if (!id || !ts || !sigs) throw new SignatureError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
      const given = sigs
        .split(' ')
        .filter((s) => s.startsWith('v1,'))
        .map((s) => s.slice(3));
      let ok = false;
      for (const key of keys) {
        const expected = hmacSha256(key, `${id}.${ts}.`, body).toString('base64');
        for (const sig of given) ok = safeEqual(expected, sig) || ok;
      }
      if (!ok) throw new SignatureError('No webhook-signature v1 matches.');
      checkFreshness(parseUnixSeconds(ts), nowS, tolerance);
      const event = asRecord(parseJson(body), 'The payload');
      return { events: [{ provider_event_id: id, type: stringField(event, 'type') }] };
    };
  },
};
