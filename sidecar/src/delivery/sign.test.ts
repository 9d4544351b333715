import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { generateSecret, InvalidSecretError, parseSecret, signFrappe, signStandard } from './sign';

const body = JSON.stringify({ type: 'invoice.paid', timestamp: '2024-01-01T00:00:00Z', data: { name: 'ACC-SINV-0001', amount: 'é€' } });
const msgId = 'msg_2bW3Y8k1';

function standardHeaders(secrets: string[], payload: string | Buffer = body, ts = Math.floor(Date.now() / 1000)) {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(ts),
    'webhook-signature': signStandard(secrets.map(parseSecret), msgId, ts, payload),
  };
}

describe('parseSecret', () => {
  it('decodes whsec_ and bare base64 to the same key', () => {
    const s = generateSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(parseSecret(s)).toHaveLength(32);
    expect(parseSecret(s.slice(6)).equals(parseSecret(s))).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['prefix only', 'whsec_'],
    ['not base64', 'whsec_not base64 at all!!!!!!!!!!!!!!!!!!!'],
    ['url-safe alphabet', `whsec_${'-_'.repeat(16)}`],
    ['unpadded', `whsec_${Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '')}`],
    ['too short (16 bytes)', `whsec_${Buffer.alloc(16, 1).toString('base64')}`],
    ['too long (65 bytes)', `whsec_${Buffer.alloc(65, 1).toString('base64')}`],
  ])('refuses %s with InvalidSecretError that does not echo it', (_, s) => {
    let err: unknown;
    try {
      parseSecret(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidSecretError);
    if (s.length > 8) expect((err as Error).message).not.toContain(s.slice(6));
  });

  it('generates distinct secrets', () => {
    expect(generateSecret()).not.toBe(generateSecret());
  });
});

describe('signStandard', () => {
  const secret = generateSecret();

  it('is accepted by the standardwebhooks library', () => {
    expect(new StandardWebhook(secret).verify(body, standardHeaders([secret]))).toEqual(JSON.parse(body));
  });

  it('is accepted by the svix library (svix-* headers)', () => {
    const h = standardHeaders([secret]);
    // svix's verify returns nothing: not throwing is all it says.
    expect(() =>
      new SvixWebhook(secret).verify(body, {
        'svix-id': h['webhook-id'],
        'svix-timestamp': h['webhook-timestamp'],
        'svix-signature': h['webhook-signature'],
      }),
    ).not.toThrow();
  });

  it('signs a Buffer body identically to the same string', () => {
    const ts = 1_700_000_000;
    const keys = [parseSecret(secret)];
    expect(signStandard(keys, msgId, ts, Buffer.from(body))).toBe(signStandard(keys, msgId, ts, body));
  });

  it('emits one v1 entry per key; a receiver knowing either key alone verifies (rotation)', () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const h = standardHeaders([oldSecret, newSecret]);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    expect(new StandardWebhook(oldSecret).verify(body, h)).toEqual(JSON.parse(body));
    expect(new StandardWebhook(newSecret).verify(body, h)).toEqual(JSON.parse(body));
    expect(() => new SvixWebhook(newSecret).verify(body, h)).not.toThrow();
    expect(() => new StandardWebhook(generateSecret()).verify(body, h)).toThrow();
  });

  it('fails verification for a tampered body, id or timestamp', () => {
    const h = standardHeaders([secret]);
    const wh = new StandardWebhook(secret);
    expect(() => wh.verify(body.replace('0001', '0002'), h)).toThrow();
    expect(() => wh.verify(body, { ...h, 'webhook-id': 'msg_other' })).toThrow();
    expect(() => wh.verify(body, { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) })).toThrow();
  });

  it('refuses a non-integer timestamp rather than signing "1.5"', () => {
    expect(() => signStandard([parseSecret(secret)], msgId, 1.5, body)).toThrow(RangeError);
  });
});

describe('signFrappe', () => {
  it('equals base64(HMAC-SHA256(utf8 secret, raw body)) as Frappe core sends it', () => {
    const secret = 'frappé-secret';
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('base64');
    expect(signFrappe(secret, body)).toBe(expected);
    expect(signFrappe(secret, Buffer.from(body))).toBe(expected);
    expect(signFrappe(secret, `${body} `)).not.toBe(expected);
  });
});
