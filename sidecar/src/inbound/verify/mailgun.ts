import { z } from 'zod';
import { asRecord, checkFreshness, hmacSha256, parseJson, parseUnixSeconds, safeEqual, stringField } from './checks';
import { MalformedError, SignatureError } from './errors';
import { JSON_TYPES, secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

/**
 * Mailgun tells receivers to check freshness and refuse reused tokens, which only works if
 * every attempt is signed afresh; 5 minutes then matches the other timestamped schemes.
 */
const DEFAULT_TOLERANCE_S = 300;

const schema = z
  .object({
    provider: z.literal('mailgun'),
    /** The HTTP webhook signing key. */
    secret: secretString,
    tolerance_s: toleranceS,
  })
  .strict();

/**
 * JSON body `{signature:{timestamp, token, signature}, "event-data":{id, event,…}}`;
 * signature = hex HMAC-SHA256(key, timestamp + token). The token is single-use: it is
 * returned as a replay token for the store to mark atomically with the event.
 */
export const mailgun: Provider<typeof schema> = {
  name: 'mailgun',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg) {
    const tolerance = cfg.tolerance_s ?? DEFAULT_TOLERANCE_S;
    return ({ body, nowS }) => {
      const doc = asRecord(parseJson(body), 'The body');
      const sig = doc.signature;
      if (typeof sig !== 'object' || sig === null) throw new SignatureError('The body has no signature object.');
      const { timestamp, token, signature } = sig as Record<string, unknown>;
      if (typeof timestamp !== 'string' || typeof token !== 'string' || typeof signature !== 'string' || !token) {
        throw new SignatureError('The signature object needs timestamp, token and signature strings.');
      }
      if (!safeEqual(hmacSha256(cfg.secret, timestamp, token).toString('hex'), signature.toLowerCase())) {
        throw new SignatureError('The Mailgun signature does not match.');
      }
      checkFreshness(parseUnixSeconds(timestamp), nowS, tolerance);
      const data = doc['event-data'];
      if (typeof data !== 'object' || data === null) throw new MalformedError('The body has no event-data object.');
      const event = data as Record<string, unknown>;
      return {
        events: [{ provider_event_id: stringField(event, 'id', 'event-data.id'), type: stringField(event, 'event', 'event-data.event') }],
        // A token outlives its window on both sides of now, plus a minute for clock drift.
        replayToken: { value: token, ttlS: 2 * tolerance + 60 },
      };
    };
  },
};
