import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HeaderName } from '../connections/schemas';

/**
 * The one shape of `mail.send` params, whatever the provider (SendGrid, Mailgun, SES): each
 * provider folder maps it to its own wire format. Addresses are `{email, name?}` or a bare
 * address; attachments carry their bytes as base64.
 */

const EmailAddress = z.string().max(320).regex(/^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$/, 'an email address');
const DisplayName = z.string().max(256).regex(/^[^\r\n]*$/, 'no line breaks');

export const Address = z.union([
  EmailAddress.transform((email) => ({ email, name: undefined as string | undefined })),
  z.object({ email: EmailAddress, name: DisplayName.optional() }).strict(),
]);
export type Address = z.output<typeof Address>;

const Addresses = z.union([Address.transform((a) => [a]), z.array(Address).min(1).max(1000)]);

/** Headers a custom header may not replace: the providers set them from the params. */
const OWN_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'reply-to', 'content-type', 'content-transfer-encoding', 'mime-version', 'message-id', 'date']);

export const Attachment = z
  .object({
    filename: z.string().min(1).max(255).regex(/^[^\r\n"\\/]*$/, 'no line breaks, quotes or slashes'),
    /** The file's bytes, base64. */
    content: z.string().max(40 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
    /** MIME type. @defaultValue application/octet-stream */
    type: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf').default('application/octet-stream'),
  })
  .strict();
export type Attachment = z.output<typeof Attachment>;

const emailFields = {
  from: Address,
  to: Addresses,
  cc: Addresses.optional(),
  bcc: Addresses.optional(),
  reply_to: Address.optional(),
  subject: z.string().min(1).max(998).regex(/^[^\r\n]*$/, 'no line breaks'),
  text: z.string().max(10 * 1024 * 1024).optional(),
  html: z.string().max(10 * 1024 * 1024).optional(),
  headers: z
    .record(HeaderName, z.string().max(998).regex(/^[^\r\n]*$/, 'no line breaks'))
    .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers')
    .refine((h) => Object.keys(h).every((k) => !OWN_HEADERS.has(k.toLowerCase())), 'from, to, subject and the MIME headers are set from the other params')
    .optional(),
  attachments: z.array(Attachment).max(100).optional(),
  /** Your own labels, returned in the provider's events (SendGrid custom_args, Mailgun v: variables, SES tags). */
  metadata: z
    .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'), z.string().max(256).regex(/^[A-Za-z0-9_.@:=+-]*$/, 'letters, digits and _ . @ : = + -'))
    .refine((m) => Object.keys(m).length <= 10, 'at most 10 entries')
    .optional(),
};

/** The common params plus a provider's own (`extra`), strict, with text or html required. */
export function emailParams<E extends z.ZodRawShape>(extra: E) {
  return z
    .object({ ...emailFields, ...extra })
    .strict()
    .refine((p) => (p as { text?: string }).text !== undefined || (p as { html?: string }).html !== undefined, { path: ['text'], message: 'give text, html or both' });
}

export const EmailParams = emailParams({});
export type EmailParams = z.output<typeof EmailParams>;

/** `mail.send_raw`: a message already in MIME form (a site's own outgoing mail), with its envelope. */
export const RawEmailParams = z
  .object({
    /** The RFC 5322 message, base64. */
    raw: z.string().min(1).max(40 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
    /** Envelope sender. */
    from: EmailAddress,
    /** Envelope recipients (Bcc included): who the message goes to, whatever its headers say. */
    to: z.array(EmailAddress).min(1).max(1000),
  })
  .strict();
export type RawEmailParams = z.output<typeof RawEmailParams>;

/** What every `mail.send` answers: the provider's id for the message, which its events name. */
export interface SentMessage {
  message_id: string;
  /** Accepted for delivery: providers only report delivery later, by webhook. */
  status: 'queued';
}

/** RFC 2047 encoded-word for header text that is not plain ASCII. */
export function encodeWord(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

/** `Name <email>` as a header value (RFC 5322), the name quoted or encoded. */
export function formatAddress(a: Address): string {
  if (!a.name) return a.email;
  const name = /^[\x20-\x7e]*$/.test(a.name) ? `"${a.name.replace(/["\\]/g, '\\$&')}"` : encodeWord(a.name);
  return `${name} <${a.email}>`;
}

const wrap76 = (b64: string) => b64.replace(/.{1,76}/g, '$&\r\n');

/** A MIME entity: its header lines and its body, already encoded. */
interface Entity {
  headers: string[];
  body: string;
}

const leaf = (type: string, content: Buffer, extra: string[] = []): Entity => ({
  headers: [`Content-Type: ${type}`, 'Content-Transfer-Encoding: base64', ...extra],
  body: wrap76(content.toString('base64')),
});

const render = (e: Entity) => `${e.headers.join('\r\n')}\r\n\r\n${e.body}`;

function multipart(subtype: string, parts: Entity[]): Entity {
  const boundary = `=_${randomBytes(12).toString('hex')}`;
  return {
    headers: [`Content-Type: multipart/${subtype}; boundary="${boundary}"`],
    body: `${parts.map((p) => `--${boundary}\r\n${render(p)}`).join('\r\n')}\r\n--${boundary}--\r\n`,
  };
}

/**
 * The message as RFC 5322 MIME, for APIs that take raw messages (SES `Content.Raw`): bodies
 * and attachments base64, so any bytes and line lengths pass. Bcc is not written (it would
 * show): the caller passes the envelope recipients separately.
 */
export function buildMime(p: EmailParams, now = new Date()): Buffer {
  const bodies: Entity[] = [];
  if (p.text !== undefined) bodies.push(leaf('text/plain; charset=UTF-8', Buffer.from(p.text, 'utf8')));
  if (p.html !== undefined) bodies.push(leaf('text/html; charset=UTF-8', Buffer.from(p.html, 'utf8')));
  let root = bodies.length === 1 ? bodies[0]! : multipart('alternative', bodies);
  if (p.attachments?.length) {
    const files = p.attachments.map((a) =>
      leaf(`${a.type}; name="${encodeWord(a.filename)}"`, Buffer.from(a.content, 'base64'), [`Content-Disposition: attachment; filename="${encodeWord(a.filename)}"`]),
    );
    root = multipart('mixed', [root, ...files]);
  }
  const head = [
    `From: ${formatAddress(p.from)}`,
    `To: ${p.to.map(formatAddress).join(', ')}`,
    ...(p.cc ? [`Cc: ${p.cc.map(formatAddress).join(', ')}`] : []),
    ...(p.reply_to ? [`Reply-To: ${formatAddress(p.reply_to)}`] : []),
    `Subject: ${encodeWord(p.subject)}`,
    `Date: ${now.toUTCString()}`,
    'MIME-Version: 1.0',
    ...Object.entries(p.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.from(render({ headers: [...head, ...root.headers], body: root.body }), 'utf8');
}
