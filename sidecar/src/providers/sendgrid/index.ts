import { expectOk, type ProviderFault } from '../answer';
import { ProviderFailedError } from '../errors';
import { EmailParams, type Address, type SentMessage } from '../mail';
import { headerValue, retryWithKey } from '../retry';
import { operation, type Provider } from '../types';

/**
 * SendGrid v3 Mail Send (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send):
 * connection base URL `https://api.sendgrid.com` (or `https://api.eu.sendgrid.com`), bearer auth
 * with the API key. 202 means queued; the message id is the `X-Message-Id` header, the prefix of
 * every `sg_message_id` its event webhook reports.
 */

const addr = (a: Address) => (a.name ? { email: a.email, name: a.name } : { email: a.email });

/** `{errors:[{message, field, help}]}`. */
function fault(body: unknown): ProviderFault | undefined {
  const errors = (body as { errors?: { message?: unknown; field?: unknown }[] } | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const message = errors.map((e) => (typeof e.field === 'string' && e.field ? `${e.field}: ${String(e.message)}` : String(e.message))).join('; ');
  return { message, extra: { errors } };
}

export function sendgridBody(p: EmailParams) {
  return {
    personalizations: [{ to: p.to.map(addr), ...(p.cc ? { cc: p.cc.map(addr) } : {}), ...(p.bcc ? { bcc: p.bcc.map(addr) } : {}) }],
    from: addr(p.from),
    ...(p.reply_to ? { reply_to: addr(p.reply_to) } : {}),
    subject: p.subject,
    // SendGrid requires text/plain before text/html.
    content: [...(p.text !== undefined ? [{ type: 'text/plain', value: p.text }] : []), ...(p.html !== undefined ? [{ type: 'text/html', value: p.html }] : [])],
    ...(p.attachments?.length ? { attachments: p.attachments.map((a) => ({ content: a.content, filename: a.filename, type: a.type, disposition: 'attachment' })) } : {}),
    ...(p.headers ? { headers: p.headers } : {}),
    ...(p.metadata ? { custom_args: p.metadata } : {}),
  };
}

export const sendgrid: Provider = {
  name: 'sendgrid',
  area: 'email',
  title: 'SendGrid',
  operations: {
    'mail.send': operation({
      summary: 'Send an email (v3 mail/send); answers the X-Message-Id',
      params: EmailParams,
      async run(ctx, p): Promise<SentMessage> {
        const res = await ctx.request({ method: 'POST', path: '/v3/mail/send', body: sendgridBody(p), ...retryWithKey(ctx, 'mail.send') });
        expectOk('sendgrid', res, fault);
        const id = headerValue(res.headers, 'x-message-id');
        if (!id) throw new ProviderFailedError('sendgrid: accepted the message but sent no X-Message-Id', { provider: 'sendgrid', status: res.status });
        return { message_id: id, status: 'queued' };
      },
    }),
  },
};
