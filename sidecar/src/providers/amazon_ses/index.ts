import { z } from 'zod';
import type { ProxyResult } from '../../connections/proxy';
import { expectOk, type ProviderFault } from '../answer';
import { ProviderFailedError } from '../errors';
import { buildMime, emailParams, formatAddress, RawEmailParams, type EmailParams, type SentMessage } from '../mail';
import { headerValue, retryWithKey } from '../retry';
import { operation, type CallContext, type Provider } from '../types';

/**
 * Amazon SES v2 SendEmail (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html):
 * `POST /v2/email/outbound-emails` on `https://email.<region>.amazonaws.com`, signed by the
 * connection's `aws_sigv4` auth (service `ses`). Simple content when the message has neither
 * attachments nor custom headers, else a raw MIME message built here. The answer's `MessageId`
 * is what SES notifications (via SNS) name as `mail.messageId`.
 */

const ConfigurationSet = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a configuration set name');

/** `{message}` with the error's type in `x-amzn-ErrorType` (`MessageRejected:…`). */
const fault = (res: ProxyResult) => (body: unknown): ProviderFault | undefined => {
  const b = body as { message?: unknown; Message?: unknown } | undefined;
  const message = b?.message ?? b?.Message;
  const type = headerValue(res.headers, 'x-amzn-errortype')?.split(':')[0];
  if (typeof message !== 'string' && !type) return undefined;
  return { message: typeof message === 'string' ? message : `answered ${res.status}`, ...(type ? { code: type } : {}) };
};

const utf8 = (data: string) => ({ Data: data, Charset: 'UTF-8' });

export function sesBody(p: EmailParams & { configuration_set?: string }) {
  const simple = !p.attachments?.length && !p.headers;
  return {
    FromEmailAddress: formatAddress(p.from),
    Destination: {
      ToAddresses: p.to.map(formatAddress),
      ...(p.cc ? { CcAddresses: p.cc.map(formatAddress) } : {}),
      ...(p.bcc ? { BccAddresses: p.bcc.map(formatAddress) } : {}),
    },
    ...(p.reply_to ? { ReplyToAddresses: [formatAddress(p.reply_to)] } : {}),
    Content: simple
      ? { Simple: { Subject: utf8(p.subject), Body: { ...(p.text !== undefined ? { Text: utf8(p.text) } : {}), ...(p.html !== undefined ? { Html: utf8(p.html) } : {}) } } }
      : { Raw: { Data: buildMime(p).toString('base64') } },
    ...(p.metadata ? { EmailTags: Object.entries(p.metadata).map(([Name, Value]) => ({ Name, Value })) } : {}),
    ...(p.configuration_set ? { ConfigurationSetName: p.configuration_set } : {}),
  };
}

async function send(ctx: CallContext, body: unknown): Promise<SentMessage> {
  const res = await ctx.request({ method: 'POST', path: '/v2/email/outbound-emails', body, ...retryWithKey(ctx, 'ses.send_email') });
  const out = expectOk('amazon_ses', res, fault(res)) as { MessageId?: unknown } | undefined;
  if (typeof out?.MessageId !== 'string' || !out.MessageId) throw new ProviderFailedError('amazon_ses: accepted the message but gave no MessageId', { provider: 'amazon_ses', status: res.status });
  return { message_id: out.MessageId, status: 'queued' };
}

export const amazonSes: Provider = {
  name: 'amazon_ses',
  area: 'email',
  title: 'Amazon SES',
  operations: {
    'mail.send': operation({
      summary: 'Send an email (SES v2 SendEmail: simple content, raw MIME with attachments or headers)',
      params: emailParams({ configuration_set: ConfigurationSet.optional() }),
      run: (ctx, p) => send(ctx, sesBody(p)),
    }),
    'mail.send_raw': operation({
      summary: 'Send a MIME message as it is (SES v2 SendEmail, raw content)',
      params: RawEmailParams.extend({ configuration_set: ConfigurationSet.optional() }).strict(),
      run: (ctx, p) =>
        send(ctx, {
          FromEmailAddress: p.from,
          Destination: { ToAddresses: p.to },
          Content: { Raw: { Data: p.raw } },
          ...(p.configuration_set ? { ConfigurationSetName: p.configuration_set } : {}),
        }),
    }),
  },
};
