import { verify } from 'node:crypto';
import { z } from 'zod';
import { asRecord, checkFreshness, header, parseJson } from './checks';
import type { CertPolicy } from './certs';
import { MalformedError, SignatureError, UpstreamError } from './errors';
import { toleranceS } from './schema-parts';
import type { Provider, VerifyDeps } from './types';

/** SNS retries for at most an hour (custom policies ≤3,600 s) with the original Timestamp. */
const DEFAULT_TOLERANCE_S = 3600 + 300;

const schema = z
  .object({
    provider: z.literal('ses'),
    /** SNS signs with AWS's certificate: there is no shared secret. */
    secret: z.union([z.literal(''), z.null()]).optional(),
    tolerance_s: toleranceS,
    options: z
      .object({
        /** Topics whose messages this endpoint accepts; anything else is refused. */
        allowed_topic_arns: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'must be an SNS topic ARN')).min(1).max(50),
      })
      .strict(),
  })
  .strict();

/** The fields SNS signs, in order, per message Type (AWS "Verifying the signatures"). */
const SIGNED_FIELDS: Record<string, readonly string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

export function snsStringToSign(msg: Record<string, unknown>): string {
  const fields = SIGNED_FIELDS[String(msg.Type)];
  if (!fields) throw new MalformedError('Unknown SNS message Type.');
  let out = '';
  for (const f of fields) {
    const v = msg[f];
    if (v === undefined && f === 'Subject') continue; // the only optional signed field
    if (typeof v !== 'string') throw new MalformedError(`The SNS message has no ${f}.`);
    out += `${f}\n${v}\n`;
  }
  return out;
}

/** SES puts its own type inside Message: `eventType` (event publishing) or `notificationType`. */
function sesType(message: string): string {
  try {
    const m = JSON.parse(message) as Record<string, unknown>;
    const t = m.eventType ?? m.notificationType;
    if (typeof t === 'string') return t;
  } catch {
    // Not SES JSON (a plain SNS notification): fall through to the SNS type.
  }
  return 'Notification';
}

function snsUrl(raw: string, deps: VerifyDeps): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SignatureError('SubscribeURL is not a URL.');
  }
  if (url.protocol !== 'https:' || url.port !== '' || !deps.snsHost.test(url.hostname)) {
    throw new SignatureError('SubscribeURL is not an https SNS URL.');
  }
  return url;
}

async function confirmSubscription(raw: string, deps: VerifyDeps): Promise<void> {
  const url = snsUrl(raw, deps);
  let res: Response;
  try {
    res = await deps.fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
    await res.arrayBuffer();
  } catch (err) {
    throw new UpstreamError(`SNS subscription confirmation failed: ${(err as Error).message}`);
  }
  if (!res.ok) throw new UpstreamError(`SNS subscription confirmation answered ${res.status}.`);
}

/**
 * Amazon SES via SNS: a JSON body sent as text/plain, signed with SHA1withRSA (v1) or
 * SHA256withRSA (v2) by the certificate at SigningCertURL (https, SNS host only). Only listed
 * topics are accepted; a SubscriptionConfirmation is confirmed by fetching SubscribeURL.
 */
export const ses: Provider<typeof schema> = {
  name: 'ses',
  schema,
  contentTypes: ['text/plain'],
  compile(cfg, deps) {
    const topics = new Set(cfg.options.allowed_topic_arns);
    const tolerance = cfg.tolerance_s ?? DEFAULT_TOLERANCE_S;
    const policy: CertPolicy = { name: 'sns', host: (h) => deps.snsHost.test(h), path: /\.pem$/, chain: false };
    return async ({ body, headers, nowS }) => {
      const msg = asRecord(parseJson(body), 'The SNS message');
      const type = msg.Type;
      const declared = header(headers, 'x-amz-sns-message-type');
      if (declared !== undefined && declared !== type) throw new MalformedError('x-amz-sns-message-type does not match the body.');
      const data = snsStringToSign(msg);
      const algo = msg.SignatureVersion === '1' ? 'sha1' : msg.SignatureVersion === '2' ? 'sha256' : null;
      if (!algo) throw new SignatureError('SignatureVersion must be 1 or 2.');
      if (typeof msg.Signature !== 'string' || typeof msg.SigningCertURL !== 'string') {
        throw new SignatureError('The SNS message has no Signature or SigningCertURL.');
      }
      if (!topics.has(String(msg.TopicArn))) throw new SignatureError('The TopicArn is not allowed for this endpoint.');
      checkFreshness(Date.parse(String(msg.Timestamp)) / 1000, nowS, tolerance);
      const cert = await deps.certs.leaf(msg.SigningCertURL, policy, nowS * 1000);
      if (!verify(algo, Buffer.from(data), cert.publicKey, Buffer.from(msg.Signature, 'base64'))) {
        throw new SignatureError('The SNS signature does not verify.');
      }
      const id = String(msg.MessageId);
      if (type === 'SubscriptionConfirmation') {
        await confirmSubscription(String(msg.SubscribeURL), deps);
        return { events: [{ provider_event_id: id, type }] };
      }
      return { events: [{ provider_event_id: id, type: type === 'Notification' ? sesType(String(msg.Message)) : String(type) }] };
    };
  },
};
