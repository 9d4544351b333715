import { z } from 'zod';
import { hmacSha256, idHeader, requireHeader, safeEqual } from './checks';
import { SignatureError } from './errors';
import { JSON_TYPES, secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

const schema = z
  .object({
    provider: z.literal('shopify'),
    /** The app's client secret. */
    secret: secretString,
    /** Shopify signs no timestamp (X-Shopify-Triggered-At is unsigned); accepted and ignored. */
    tolerance_s: toleranceS,
  })
  .strict();

/** `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(secret, body)>`; id and topic are headers. */
export const shopify: Provider<typeof schema> = {
  name: 'shopify',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg) {
    return ({ body, headers }) => {
      const given = requireHeader(headers, 'x-shopify-hmac-sha256');
      if (!safeEqual(hmacSha256(cfg.secret, body).toString('base64'), given)) {
        throw new SignatureError('X-Shopify-Hmac-Sha256 does not match.');
      }
      return {
        events: [{ provider_event_id: idHeader(headers, 'x-shopify-webhook-id'), type: idHeader(headers, 'x-shopify-topic') }],
      };
    };
  },
};
