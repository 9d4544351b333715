import { z } from 'zod';
import { hmacSha256, idHeader, requireHeader, safeEqual } from './checks';
import { SignatureError } from './errors';
import { secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

const schema = z
  .object({
    provider: z.literal('github'),
    secret: secretString,
    /** GitHub signs no timestamp; accepted for a uniform shape and ignored. */
    tolerance_s: toleranceS,
  })
  .strict();

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. GitHub may post JSON or a
 * form (`payload=`); the signature covers the raw bytes either way and id/type are headers.
 */
export const github: Provider<typeof schema> = {
  name: 'github',
  schema,
  contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
  compile(cfg) {
    return ({ body, headers }) => {
      const given = requireHeader(headers, 'x-hub-signature-256');
      const expected = `sha256=${hmacSha256(cfg.secret, body).toString('hex')}`;
      if (!safeEqual(expected, given.toLowerCase())) throw new SignatureError('X-Hub-Signature-256 does not match.');
      return {
        events: [{ provider_event_id: idHeader(headers, 'x-github-delivery'), type: idHeader(headers, 'x-github-event') }],
      };
    };
  },
};
