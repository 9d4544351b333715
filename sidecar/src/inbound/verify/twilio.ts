import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { header, requireHeader, safeEqual } from './checks';
import { MalformedError, SignatureError } from './errors';
import { secretString, toleranceS } from './schema-parts';
import type { Provider } from './types';

/**
 * Twilio signs the URL it requested, which is the site's public URL, not the one the sidecar
 * sees behind a proxy; so the endpoint's config names it (`options.public_url`, exactly as
 * configured at Twilio, query string included).
 */
const options = z
  .object({
    public_url: z
      .string()
      .max(2048)
      .refine((s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'https:' || u.protocol === 'http:') && !u.hash;
        } catch {
          return false;
        }
      }, 'the absolute http(s) URL Twilio posts to'),
  })
  .strict();

const schema = z
  .object({
    provider: z.literal('twilio'),
    /** The account's Auth Token (or the SharedKey secret when the signature settings name one). */
    secret: secretString,
    /** Twilio signs no timestamp; accepted for a uniform shape and ignored. */
    tolerance_s: toleranceS,
    options,
  })
  .strict();

const ALGORITHMS = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' } as const;

/**
 * `X-Twilio-Webhooks-Signature-Settings: key=…,algorithm=HMAC_SHA256` names the algorithm of
 * SharedKey signatures; absent, it is the Auth Token's HMAC-SHA1.
 */
function algorithm(settings: string | undefined): 'sha1' | 'sha256' {
  const named = settings?.match(/(?:^|,)\s*algorithm=([A-Za-z0-9_]+)/)?.[1]?.toUpperCase();
  if (!named) return 'sha1';
  if (named in ALGORITHMS) return ALGORITHMS[named as keyof typeof ALGORITHMS];
  throw new SignatureError(`Unsupported Twilio signature algorithm ${named}.`);
}

/** The form's parameters, a repeated name keeping each value. */
function formParams(body: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

/**
 * The signed string: the URL, then each parameter name (sorted) followed by its value; a
 * repeated name once per distinct value, values sorted (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
 */
export function twilioSignedString(url: string, params: Map<string, string[]>): string {
  let out = url;
  for (const k of [...params.keys()].sort()) for (const v of [...new Set(params.get(k))].sort()) out += k + v;
  return out;
}

/** The URL as configured, plus its form with or without the scheme's default port: Twilio has signed both. */
function urlVariants(raw: string): string[] {
  const m = raw.match(/^(https?):\/\/([^/:?#]+)(:\d+)?(.*)$/i);
  if (!m) return [raw];
  const [, scheme, host, port, rest] = m;
  const fallback = scheme!.toLowerCase() === 'https' ? ':443' : ':80';
  return [...new Set([raw, `${scheme}://${host}${rest}`, `${scheme}://${host}${port ?? fallback}${rest}`])];
}

const one = (p: Map<string, string[]>, k: string) => p.get(k)?.[0] || undefined;

/**
 * Twilio webhooks (status callbacks, incoming messages): a form-encoded POST signed with
 * `X-Twilio-Signature` = base64 HMAC(Auth Token, URL + sorted params). A status callback's id
 * is `<MessageSid>:<MessageStatus>`: Twilio's retries of it carry the same pair, and each
 * status is a new event.
 */
export const twilio: Provider<typeof schema> = {
  name: 'twilio',
  schema,
  contentTypes: ['application/x-www-form-urlencoded'],
  compile(cfg) {
    const urls = urlVariants(cfg.options.public_url);
    return ({ body, headers }) => {
      const given = requireHeader(headers, 'x-twilio-signature');
      const algo = algorithm(header(headers, 'x-twilio-webhooks-signature-settings'));
      const params = formParams(body);
      const ok = urls.some((url) => safeEqual(createHmac(algo, cfg.secret).update(twilioSignedString(url, params), 'utf8').digest('base64'), given));
      if (!ok) throw new SignatureError('The Twilio signature does not match (check the endpoint\'s public URL and the Auth Token).');
      const sid = one(params, 'MessageSid') ?? one(params, 'SmsSid');
      const status = one(params, 'MessageStatus') ?? one(params, 'SmsStatus');
      const callSid = one(params, 'CallSid');
      let id: string;
      let type: string;
      if (sid && status) [id, type] = [`${sid}:${status}`, `message.${status}`];
      else if (callSid) [id, type] = [`${callSid}:${one(params, 'CallStatus') ?? ''}`, `call.${one(params, 'CallStatus') ?? 'request'}`];
      else {
        const token = header(headers, 'i-twilio-idempotency-token');
        if (!token) throw new MalformedError('The request names no MessageSid, CallSid or I-Twilio-Idempotency-Token.');
        [id, type] = [token, 'request'];
      }
      const payload: Record<string, string | string[]> = {};
      for (const [k, v] of params) payload[k] = v.length === 1 ? v[0]! : v;
      return { events: [{ provider_event_id: id, type, payload: JSON.stringify(payload) }] };
    };
  },
};
