import { z } from 'zod';
import { HttpUrl } from '../../connections/schemas';
import { expectOk, type ProviderFault } from '../answer';
import { ProviderFailedError } from '../errors';
import { retryWithKey } from '../retry';
import { operation, type Provider } from '../types';

/**
 * Twilio Programmable Messaging (https://www.twilio.com/docs/messaging/api/message-resource):
 * form-encoded POSTs, Basic auth `AccountSid:AuthToken` (or an API key `SK…:secret`). The
 * connection's base URL names the account, `https://api.twilio.com/2010-04-01/Accounts/AC…`,
 * since every Messages path is under it. Status callbacks go to `status_callback` (an inbound
 * endpoint of provider `twilio`, which checks `X-Twilio-Signature`).
 */

const Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +14155550100');
/** An E.164 number, a short code, an alphanumeric sender id or a channel address (`whatsapp:+1…`). */
const Sender = z.string().regex(/^(\+[1-9]\d{6,14}|\d{3,8}|[A-Za-z0-9 ]{1,11}|[a-z]+:\+?[\w.@-]{3,64})$/, 'a phone number, short code, alphanumeric sender id or channel address');
const MessageSid = z.string().regex(/^(SM|MM)[0-9a-f]{32}$/, 'a message SID (SM… or MM…)');

/** `{code, message, more_info, status}`. */
function fault(body: unknown): ProviderFault | undefined {
  const b = body as { code?: unknown; message?: unknown; more_info?: unknown } | undefined;
  if (typeof b?.message !== 'string') return undefined;
  return { message: b.message, ...(b.code !== undefined && b.code !== null ? { code: String(b.code) } : {}), ...(typeof b.more_info === 'string' ? { extra: { more_info: b.more_info } } : {}) };
}

export const SmsParams = z
  .object({
    to: z.union([Phone, z.string().regex(/^[a-z]+:\+[1-9]\d{6,14}$/, 'a channel address such as whatsapp:+14155550100')]),
    from: Sender.optional(),
    /** Send from a Messaging Service's pool instead of one number. */
    messaging_service_sid: z.string().regex(/^MG[0-9a-f]{32}$/, 'a Messaging Service SID (MG…)').optional(),
    body: z.string().min(1).max(1600),
    media_url: z.array(HttpUrl).max(10).optional(),
    /** Where Twilio posts status changes: the public URL of a `twilio` inbound endpoint. */
    status_callback: HttpUrl.optional(),
  })
  .strict()
  .refine((p) => (p.from === undefined) !== (p.messaging_service_sid === undefined), { path: ['from'], message: 'give from or messaging_service_sid (one of them)' });
export type SmsParams = z.output<typeof SmsParams>;

export function twilioForm(p: SmsParams): string {
  const f = new URLSearchParams({ To: p.to, Body: p.body });
  if (p.from) f.set('From', p.from);
  if (p.messaging_service_sid) f.set('MessagingServiceSid', p.messaging_service_sid);
  for (const url of p.media_url ?? []) f.append('MediaUrl', url);
  if (p.status_callback) f.set('StatusCallback', p.status_callback);
  return f.toString();
}

interface TwilioMessage {
  sid: string;
  status: string;
  error_code: number | null;
  error_message: string | null;
}

function message(res: { status: number }, body: unknown): TwilioMessage {
  const b = body as Partial<TwilioMessage> | undefined;
  if (typeof b?.sid !== 'string' || typeof b.status !== 'string') throw new ProviderFailedError('twilio: the answer is not a Message resource', { provider: 'twilio', status: res.status });
  return { sid: b.sid, status: b.status, error_code: b.error_code ?? null, error_message: b.error_message ?? null };
}

export const twilio: Provider = {
  name: 'twilio',
  area: 'sms',
  title: 'Twilio',
  operations: {
    'messages.send': operation({
      summary: 'Send an SMS/MMS (POST Messages.json, form-encoded); answers the message SID',
      params: SmsParams,
      async run(ctx, p) {
        const res = await ctx.request({
          method: 'POST',
          path: '/Messages.json',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: twilioForm(p),
          ...retryWithKey(ctx, 'twilio.messages.send'),
        });
        const m = message(res, expectOk('twilio', res, fault));
        return { message_id: m.sid, status: m.status };
      },
    }),
    'messages.get': operation({
      summary: "A message's current status (GET Messages/{sid}.json)",
      params: z.object({ message_id: MessageSid }).strict(),
      async run(ctx, p) {
        const res = await ctx.request({ method: 'GET', path: `/Messages/${p.message_id}.json` });
        const m = message(res, expectOk('twilio', res, fault));
        return { message_id: m.sid, status: m.status, error_code: m.error_code, error_message: m.error_message };
      },
    }),
  },
};
