import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signV4Url } from './signing';

const V = JSON.parse(readFileSync(new URL('../../../test/providers/gcs-v4-signatures.json', import.meta.url), 'utf8')) as {
  client_email: string;
  private_key: string;
  tests: Array<{ description: string; bucket: string; object?: string; method: string; expiration: string; timestamp: string; expectedUrl: string; headers?: Record<string, string>; queryParameters?: Record<string, string> }>;
};

/** Google's conformance vectors: same inputs, same URL, byte for byte (the signature's parameter name aside, whose case one vector varies). */
describe('GCS V4 signed URLs: Google\'s conformance vectors', () => {
  it.each(V.tests.map((t) => [t.description, t] as const))('%s', (_name, t) => {
    const url = signV4Url({
      method: t.method, origin: 'https://storage.googleapis.com', path: `/${t.bucket}${t.object ? `/${t.object}` : ''}`,
      query: t.queryParameters ?? {}, headers: t.headers ?? {}, expiresS: Number(t.expiration),
      clientEmail: V.client_email, privateKeyPem: V.private_key, date: new Date(t.timestamp),
    });
    const [base, sig] = url.split('&X-Goog-Signature=');
    const m = /^(.*)&x-goog-signature=([0-9a-f]+)$/i.exec(t.expectedUrl)!;
    expect(base).toBe(m[1]);
    expect(sig).toBe(m[2]);
  });

  it('the signature verifies with the account\'s public key over the canonical request rebuilt from the URL, and not for another path', () => {
    const url = new URL(signV4Url({ method: 'GET', origin: 'https://storage.googleapis.com', path: '/b/o.txt', expiresS: 60, clientEmail: V.client_email, privateKeyPem: V.private_key }));
    const sig = Buffer.from(url.searchParams.get('X-Goog-Signature')!, 'hex');
    const query = url.search.slice(1).split('&X-Goog-Signature=')[0]!;
    const date = url.searchParams.get('X-Goog-Date')!;
    const toSign = (path: string) => {
      const canonical = ['GET', path, query, 'host:storage.googleapis.com\n', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
      return ['GOOG4-RSA-SHA256', date, `${date.slice(0, 8)}/auto/storage/goog4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
    };
    const pub = createPublicKey(V.private_key);
    expect(createVerify('RSA-SHA256').update(toSign('/b/o.txt')).verify(pub, sig)).toBe(true);
    expect(createVerify('RSA-SHA256').update(toSign('/b/other.txt')).verify(pub, sig)).toBe(false);
  });
});
