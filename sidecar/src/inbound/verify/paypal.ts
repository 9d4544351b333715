import { verify } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { asRecord, checkFreshness, parseJson, requireHeader, stringField } from './checks';
import { namedUnder, type CertPolicy } from './certs';
import { SignatureError } from './errors';
import { JSON_TYPES, secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

/**
 * PayPal retries 25 times over 3 days and does not document whether a retry is re-signed, so
 * the window covers the retry horizon; a replay inside it is a duplicate event id.
 */
const DEFAULT_TOLERANCE_S = 3 * 86_400 + 3600;

const DEFAULT_CERT_HOSTS = ['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'];

const schema = z
  .object({
    provider: z.literal('paypal'),
    /** The webhook id from the developer dashboard: it is part of the signed string. */
    secret: secretString,
    tolerance_s: toleranceS,
    options: z
      .object({
        /** Hosts PAYPAL-CERT-URL may point at. @defaultValue PayPal's live and sandbox API hosts */
        cert_hosts: z
          .array(z.string().regex(/^([a-z0-9-]+\.)*paypal\.com$/, 'must be a paypal.com host name'))
          .min(1)
          .max(10)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Offline verification: SHA256withRSA over `transmission_id|transmission_time|webhook_id|crc32`
 * (CRC32 of the raw body, unsigned decimal) with the certificate at PAYPAL-CERT-URL, which must
 * be an allow-listed PayPal https URL, chain to a trusted root and be issued to *.paypal.com.
 */
export const paypal: Provider<typeof schema> = {
  name: 'paypal',
  schema,
  contentTypes: JSON_TYPES,
  compile(cfg, deps) {
    const hosts = new Set(cfg.options?.cert_hosts ?? DEFAULT_CERT_HOSTS);
    const tolerance = cfg.tolerance_s ?? DEFAULT_TOLERANCE_S;
    const policy: CertPolicy = {
      name: 'paypal',
      host: (h) => hosts.has(h),
      path: /^\/v1\/notifications\/certs\/[A-Za-z0-9_-]+$/,
      chain: true,
      leaf: (c) => namedUnder(c, 'paypal.com'),
    };
    return async ({ body, headers, nowS }) => {
      const id = requireHeader(headers, 'paypal-transmission-id');
      const time = requireHeader(headers, 'paypal-transmission-time');
      const sig = requireHeader(headers, 'paypal-transmission-sig');
      const certUrl = requireHeader(headers, 'paypal-cert-url');
      if (requireHeader(headers, 'paypal-auth-algo') !== 'SHA256withRSA') throw new SignatureError('PAYPAL-AUTH-ALGO must be SHA256withRSA.');
      checkFreshness(Date.parse(time) / 1000, nowS, tolerance);
      const cert = await deps.certs.leaf(certUrl, policy, nowS * 1000);
      const signed = `${id}|${time}|${cfg.secret}|${crc32(body)}`;
      if (!verify('sha256', Buffer.from(signed), cert.publicKey, Buffer.from(sig, 'base64'))) {
        throw new SignatureError('PAYPAL-TRANSMISSION-SIG does not verify.');
      }
      const event = asRecord(parseJson(body), 'The event');
      return { events: [{ provider_event_id: stringField(event, 'id'), type: stringField(event, 'event_type') }] };
    };
  },
};
