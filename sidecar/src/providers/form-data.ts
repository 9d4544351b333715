import { randomBytes } from 'node:crypto';

/** One `multipart/form-data` field (RFC 7578): a text value, or a file with its bytes. */
export type FormField = { name: string; value: string } | { name: string; filename: string; type: string; content: Buffer };

const quoted = (s: string) => s.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));

/**
 * Encodes fields as `multipart/form-data`. Files go as their raw bytes (APIs such as
 * Mailgun's take no transfer encoding in form parts), so the body is a Buffer.
 */
export function encodeFormData(fields: readonly FormField[]): { contentType: string; body: Buffer } {
  const boundary = `----integrations${randomBytes(16).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of fields) {
    const head = [`--${boundary}`];
    if ('filename' in f) {
      head.push(`Content-Disposition: form-data; name="${quoted(f.name)}"; filename="${quoted(f.filename)}"`, `Content-Type: ${f.type}`);
    } else head.push(`Content-Disposition: form-data; name="${quoted(f.name)}"`);
    chunks.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), 'filename' in f ? f.content : Buffer.from(f.value, 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
