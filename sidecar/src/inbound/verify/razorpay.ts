import { z } from 'zod';
import { asRecord, hmacSha256, idHeader, parseJson, requireHeader, safeEqual, stringField } from './checks';
import { SignatureError } from './errors';
import { JSON_TYPES, secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

const schema = z
  .object({
    provider: z.literal('razorpay'),
    /** The webhook secret from the dashboard (not the API key secret). */
    secret: secretString,
    /** Razorpay signs no timestamp; accepted for a uniform shape and ignored. */
    tolerance_s: toleranceS,
  })
  .strict();

/** `X-Razorpay-Signature: <hex HMAC-SHA256(secret, body)>`; id in `x-razorpay-event-id`. */
export const razorpay: Provider<typeof schema> = {
  name: 'razorpay',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg) {
    return ({ body, headers }) => {
      const given = requireHeader(headers, 'x-razorpay-signature');
      if (!safeEqual(hmacSha256(cfg.secret, body).toString('hex'), given.toLowerCase())) {
        throw new SignatureError('X-Razorpay-Signature does not match.');
      }
      const id = idHeader(headers, 'x-razorpay-event-id');
      const event = asRecord(parseJson(body), 'The event');
      return { events: [{ provider_event_id: id, type: stringField(event, 'event') }] };
    };
  },
};
