import { createHash } from 'node:crypto';
import { z } from 'zod';
import { header, hmacSha256, idHeader, requireHeader, safeEqual } from './checks';
import { SignatureError } from './errors';
import { secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,100}$/, 'must be an HTTP header name')
  .transform((s) => s.toLowerCase());

const options = z
  .object({
    /** Header carrying the signature. */
    header: headerName,
    /** How the MAC is written. @defaultValue hex */
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** Text before the MAC, e.g. `sha256=`. @defaultValue "" */
    prefix: z.string().max(50).default(''),
    /** Header with the sender's event id; without it the body's SHA-256 is the id. */
    id_header: headerName.optional(),
    /** Header with the event type. @defaultValue none (type "") */
    type_header: headerName.optional(),
  })
  .strict();

const schema = z
  .object({
    provider: z.literal('hmac-sha256'),
    secret: secretString,
    /** No timestamp is signed in this scheme; accepted for a uniform shape and ignored. */
    tolerance_s: toleranceS,
    options,
  })
  .strict();

/** Generic `<prefix><hex|base64 HMAC-SHA256(secret, body)>` in a configurable header. */
export const hmacSha256Provider: Provider<typeof schema> = {
  name: 'hmac-sha256',
  schema,
  contentTypes: null,
  compile(cfg) {
    const o = cfg.options;
    return ({ body, headers }) => {
      const given = requireHeader(headers, o.header);
      const expected = `${o.prefix}${hmacSha256(cfg.secret, body).toString(o.encoding)}`;
      // Hex is case-insensitive; base64 is not.
      const ok = o.encoding === 'hex' ? safeEqual(expected.toLowerCase(), given.toLowerCase()) : safeEqual(expected, given);
      if (!ok) {
        throw new SignatureError(`${o.header} does not match.`);
      }
      // Without a sender id, identical bodies are the same event: a content hash dedups retries.
      const id = o.id_header ? idHeader(headers, o.id_header) : createHash('sha256').update(body).digest('hex');
      return { events: [{ provider_event_id: id, type: o.type_header ? (header(headers, o.type_header) ?? '') : '' }] };
    };
  },
};
