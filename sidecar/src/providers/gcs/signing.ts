import { createHash, createSign } from 'node:crypto';
import { rfc3986 } from '../storage/params';

/**
 * Cloud Storage V4 signed URLs (`GOOG4-RSA-SHA256`), signed with the service account's own RSA
 * key, no request to Google: the canonical request (method, path, sorted query, trimmed
 * lower-case headers, `UNSIGNED-PAYLOAD`) hashed into a string to sign with the credential
 * scope `day/auto/storage/goog4_request`. Tested against Google's published conformance vectors
 * (googleapis/conformance-tests `storage/v1/v4_signatures.json`).
 */

export interface V4UrlInput {
  method: string;
  /** `https://storage.googleapis.com` or an emulator's origin. */
  origin: string;
  /** `/bucket/object`, decoded; each segment is encoded here. */
  path: string;
  query?: Record<string, string>;
  /** Headers the user must send as given (names any case). */
  headers?: Record<string, string>;
  /** 1 s to 7 days. */
  expiresS: number;
  clientEmail: string;
  privateKeyPem: string;
  date?: Date;
}

const goog = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

export function signV4Url(i: V4UrlInput): string {
  const date = goog(i.date ?? new Date());
  const scope = `${date.slice(0, 8)}/auto/storage/goog4_request`;
  const headers = new Map<string, string>([['host', new URL(i.origin).host]]);
  for (const [k, v] of Object.entries(i.headers ?? {})) headers.set(k.toLowerCase(), v.replace(/[ \t]+/g, ' ').trim());
  const names = [...headers.keys()].sort();
  const query: Array<[string, string]> = [
    ['X-Goog-Algorithm', 'GOOG4-RSA-SHA256'],
    ['X-Goog-Credential', `${i.clientEmail}/${scope}`],
    ['X-Goog-Date', date],
    ['X-Goog-Expires', String(i.expiresS)],
    ['X-Goog-SignedHeaders', names.join(';')],
    ...Object.entries(i.query ?? {}),
  ];
  const qs = query.map(([k, v]) => [rfc3986(k), rfc3986(v)] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const path = i.path.split('/').map(rfc3986).join('/');
  const canonical = [i.method.toUpperCase(), path, qs, names.map((n) => `${n}:${headers.get(n)}\n`).join(''), names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['GOOG4-RSA-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const signature = createSign('RSA-SHA256').update(toSign).sign(i.privateKeyPem, 'hex');
  return `${i.origin}${path}?${qs}&X-Goog-Signature=${signature}`;
}
