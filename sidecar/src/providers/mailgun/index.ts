import { z } from 'zod';
import { expectOk, type ProviderFault } from '../answer';
import { ProviderFailedError } from '../errors';
import { encodeFormData, type FormField } from '../form-data';
import { emailParams, formatAddress, RawEmailParams, type EmailParams, type SentMessage } from '../mail';
import { retryWithKey } from '../retry';
import { operation, type CallContext, type Provider } from '../types';

/**
 * Mailgun Messages API (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages):
 * `multipart/form-data` to `/v3/{domain}/messages`, Basic auth `api:<key>`. The region is the
 * connection's base URL: `https://api.mailgun.net` (US) or `https://api.eu.mailgun.net` (EU).
 * The answer's `id` (`<…@domain>`) is kept without its angle brackets: that is how the event
 * webhook names the message (`event-data.message.headers.message-id`).
 */

const Domain = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'a sending domain such as mg.example.com');

/** `{message}`; a 401 answers a plain-text `Forbidden`. */
function fault(body: unknown): ProviderFault | undefined {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' && m ? { message: m } : undefined;
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

async function post(ctx: CallContext, domain: string, resource: 'messages' | 'messages.mime', fields: FormField[]): Promise<SentMessage> {
  const form = encodeFormData(fields);
  const res = await ctx.request({
    method: 'POST',
    path: `/v3/${encodeURIComponent(domain)}/${resource}`,
    headers: { 'content-type': form.contentType },
    body: form.body.toString('base64'),
    body_encoding: 'base64',
    ...retryWithKey(ctx, `mailgun.${resource}`),
  });
  const body = expectOk('mailgun', res, fault) as { id?: unknown } | undefined;
  if (typeof body?.id !== 'string' || !body.id) throw new ProviderFailedError('mailgun: accepted the message but gave no id', { provider: 'mailgun', status: res.status });
  return { message_id: body.id.replace(/^<|>$/g, ''), status: 'queued' };
}

const MailgunEmailParams = emailParams({ domain: Domain.optional() });

export function mailgunFields(p: EmailParams): FormField[] {
  const f: FormField[] = [{ name: 'from', value: formatAddress(p.from) }];
  for (const a of p.to) f.push({ name: 'to', value: formatAddress(a) });
  for (const a of p.cc ?? []) f.push({ name: 'cc', value: formatAddress(a) });
  for (const a of p.bcc ?? []) f.push({ name: 'bcc', value: formatAddress(a) });
  f.push({ name: 'subject', value: p.subject });
  if (p.text !== undefined) f.push({ name: 'text', value: p.text });
  if (p.html !== undefined) f.push({ name: 'html', value: p.html });
  if (p.reply_to) f.push({ name: 'h:Reply-To', value: formatAddress(p.reply_to) });
  for (const [k, v] of Object.entries(p.headers ?? {})) f.push({ name: `h:${k}`, value: v });
  for (const [k, v] of Object.entries(p.metadata ?? {})) f.push({ name: `v:${k}`, value: v });
  for (const a of p.attachments ?? []) f.push({ name: 'attachment', filename: a.filename, type: a.type, content: Buffer.from(a.content, 'base64') });
  return f;
}

export const mailgun: Provider = {
  name: 'mailgun',
  area: 'email',
  title: 'Mailgun',
  operations: {
    'mail.send': operation({
      summary: 'Send an email (POST /v3/{domain}/messages, multipart)',
      params: MailgunEmailParams,
      run: (ctx, p) => post(ctx, p.domain ?? domainOf(p.from.email), 'messages', mailgunFields(p)),
    }),
    'mail.send_raw': operation({
      summary: 'Send a MIME message as it is (POST /v3/{domain}/messages.mime)',
      params: RawEmailParams.extend({ domain: Domain.optional() }).strict(),
      run: (ctx, p) =>
        post(ctx, p.domain ?? domainOf(p.from), 'messages.mime', [
          ...p.to.map((to) => ({ name: 'to', value: to })),
          { name: 'message', filename: 'message.mime', type: 'message/rfc822', content: Buffer.from(p.raw, 'base64') },
        ]),
    }),
  },
};
