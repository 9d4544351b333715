import { createHash, createHmac } from 'node:crypto';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import Razorpay from 'razorpay';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { CertStore } from './certs';
import { MalformedError, SignatureError } from './errors';
import { compileEndpoint, EndpointConfigSchema } from './registry';
import type { Verification } from './types';

const deps = { certs: new CertStore(), fetch, snsHost: /^sns\.[a-z0-9-]+\.amazonaws\.com$/ };
const NOW = 1_750_000_000;

function verifier(config: unknown) {
  const ep = compileEndpoint(EndpointConfigSchema.parse(config), deps);
  return async (body: string | Buffer, headers: Record<string, string>, nowS = NOW): Promise<Verification> =>
    ep.verify({ body: Buffer.from(body), headers, nowS });
}

const hex = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest('hex');

describe('stripe', () => {
  const secret = 'whsec_test_secret_0123456789';
  const stripe = new Stripe('sk_test_unused');
  const v = verifier({ provider: 'stripe', secret });
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', object: 'event' });
  const signed = (payload = body, timestamp = NOW, s = secret) => stripe.webhooks.generateTestHeaderString({ payload, secret: s, timestamp });
  const stripeEvent = { events: [{ provider_event_id: 'evt_1', type: 'invoice.paid' }] };

  it('accepts a header made by the Stripe SDK', async () => {
    expect(await v(body, { 'stripe-signature': signed() })).toEqual(stripeEvent);
  });
  it('accepts any of several v1 signatures (secret roll)', async () => {
    const good = signed().split(',')[1]!;
    await expect(v(body, { 'stripe-signature': `t=${NOW},v1=${'0'.repeat(64)},${good}` })).resolves.toEqual(stripeEvent);
  });
  it('refuses tampered body, wrong secret, stale or future timestamp, missing header', async () => {
    await expect(v(body.replace('paid', 'void'), { 'stripe-signature': signed() })).rejects.toThrow(SignatureError);
    await expect(v(body, { 'stripe-signature': signed(body, NOW, 'whsec_other') })).rejects.toThrow(SignatureError);
    await expect(v(body, { 'stripe-signature': signed(body, NOW - 301) })).rejects.toThrow(/tolerance/);
    await expect(v(body, { 'stripe-signature': signed(body, NOW + 301) })).rejects.toThrow(/tolerance/);
    await expect(v(body, {})).rejects.toThrow(SignatureError);
  });
  it('honours tolerance_s and reports an authentic non-JSON body as malformed', async () => {
    const lax = verifier({ provider: 'stripe', secret, tolerance_s: 600 });
    await expect(lax(body, { 'stripe-signature': signed(body, NOW - 500) })).resolves.toEqual(stripeEvent);
    await expect(v('nope', { 'stripe-signature': signed('nope') })).rejects.toThrow(MalformedError);
  });
});

describe('github', () => {
  it("matches GitHub's documented test vector", async () => {
    const v = verifier({ provider: 'github', secret: "It's a Secret to Everybody" });
    const headers = {
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      'x-github-delivery': 'd1', 'x-github-event': 'ping',
    };
    expect(await v('Hello, World!', headers)).toEqual({ events: [{ provider_event_id: 'd1', type: 'ping' }] });
    await expect(v('Hello, World?', headers)).rejects.toThrow(SignatureError);
  });
  it('accepts @octokit/webhooks-methods signatures and needs the delivery id', async () => {
    const v = verifier({ provider: 'github', secret: 's3cret' });
    const body = '{"zen":"Keep it logically awesome."}';
    const sig = await octokitSign('s3cret', body);
    await expect(v(body, { 'x-hub-signature-256': sig, 'x-github-delivery': 'g1', 'x-github-event': 'ping' }))
      .resolves.toEqual({ events: [{ provider_event_id: 'g1', type: 'ping' }] });
    await expect(v(body, { 'x-hub-signature-256': sig, 'x-github-event': 'ping' })).rejects.toThrow(MalformedError);
    await expect(v(body, { 'x-hub-signature-256': await octokitSign('other', body), 'x-github-delivery': 'g1', 'x-github-event': 'ping' }))
      .rejects.toThrow(SignatureError);
  });
});

describe('razorpay', () => {
  it('agrees with the Razorpay SDK validateWebhookSignature', async () => {
    const v = verifier({ provider: 'razorpay', secret: 'rzp_whsec' });
    const body = JSON.stringify({ event: 'payment.captured', payload: {} });
    const sig = hex('rzp_whsec', body);
    expect(Razorpay.validateWebhookSignature(body, sig, 'rzp_whsec')).toBe(true);
    expect(await v(body, { 'x-razorpay-signature': sig, 'x-razorpay-event-id': 'E1' })).toEqual({
      events: [{ provider_event_id: 'E1', type: 'payment.captured' }],
    });
    const forged = hex('wrong', body);
    expect(Razorpay.validateWebhookSignature(body, forged, 'rzp_whsec')).toBe(false);
    await expect(v(body, { 'x-razorpay-signature': forged, 'x-razorpay-event-id': 'E1' })).rejects.toThrow(SignatureError);
  });
});

describe('shopify', () => {
  it('checks the base64 HMAC and takes id and topic from headers', async () => {
    const v = verifier({ provider: 'shopify', secret: 'shpss_x' });
    const body = '{"id":1}';
    const sig = createHmac('sha256', 'shpss_x').update(body).digest('base64');
    const h = { 'x-shopify-hmac-sha256': sig, 'x-shopify-webhook-id': 'w1', 'x-shopify-topic': 'orders/create' };
    expect(await v(body, h)).toEqual({ events: [{ provider_event_id: 'w1', type: 'orders/create' }] });
    await expect(v('{"id":2}', h)).rejects.toThrow(SignatureError);
  });
});

describe('standard (Standard Webhooks / Svix)', () => {
  const key = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const old = `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`;
  const body = JSON.stringify({ type: 'user.created', timestamp: '2025-01-01T00:00:00Z', data: {} });
  const at = new Date(NOW * 1000);

  it('accepts webhook-* headers signed by standardwebhooks', async () => {
    const v = verifier({ provider: 'standard', secret: key });
    const sig = new StandardWebhook(key).sign('msg_1', at, body);
    const h = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW), 'webhook-signature': sig };
    expect(await v(body, h)).toEqual({ events: [{ provider_event_id: 'msg_1', type: 'user.created' }] });
    await expect(v(body, h, NOW + 301)).rejects.toThrow(/tolerance/);
    await expect(v(body.replace('created', 'deleted'), h)).rejects.toThrow(SignatureError);
  });
  it('accepts svix-* headers signed by svix, with rotation over several secrets', async () => {
    const v = verifier({ provider: 'standard', secret: [key, old] });
    const sig = `v1,${'A'.repeat(44)} ${new SvixWebhook(old).sign('msg_2', at, body)}`;
    const h = { 'svix-id': 'msg_2', 'svix-timestamp': String(NOW), 'svix-signature': sig };
    expect(await v(body, h)).toEqual({ events: [{ provider_event_id: 'msg_2', type: 'user.created' }] });
    const other = `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`;
    await expect(v(body, { ...h, 'svix-signature': new SvixWebhook(other).sign('msg_2', at, body) })).rejects.toThrow(SignatureError);
  });
  it('refuses a secret that is not whsec_', () => {
    expect(EndpointConfigSchema.safeParse({ provider: 'standard', secret: 'plain' }).success).toBe(false);
  });
});

describe('hmac-sha256 (generic)', () => {
  it('supports header, prefix, encoding and id header options', async () => {
    const v = verifier({ provider: 'hmac-sha256', secret: 'k', options: { header: 'X-Sig', prefix: 'sha256=', id_header: 'X-Id', type_header: 'X-Type' } });
    const body = 'anything';
    expect(await v(body, { 'x-sig': `sha256=${hex('k', body).toUpperCase()}`, 'x-id': 'i1', 'x-type': 't' })).toEqual({
      events: [{ provider_event_id: 'i1', type: 't' }],
    });
    await expect(v(body, { 'x-sig': hex('k', body), 'x-id': 'i1' })).rejects.toThrow(SignatureError);
  });
  it('uses the body hash as id when no id header is configured', async () => {
    const v = verifier({ provider: 'hmac-sha256', secret: 'k', options: { header: 'x-sig', encoding: 'base64' } });
    const sig = createHmac('sha256', 'k').update('b').digest('base64');
    expect(await v('b', { 'x-sig': sig })).toEqual({ events: [{ provider_event_id: createHash('sha256').update('b').digest('hex'), type: '' }] });
  });
});

describe('mailgun', () => {
  const v = verifier({ provider: 'mailgun', secret: 'mg-key' });
  const body = (ts = String(NOW), token = 'tok1', key = 'mg-key') =>
    JSON.stringify({ signature: { timestamp: ts, token, signature: hex(key, ts + token) }, 'event-data': { id: 'ev1', event: 'delivered' } });

  it('checks the HMAC of timestamp+token and returns the token for the replay guard', async () => {
    expect(await v(body(), {})).toEqual({
      events: [{ provider_event_id: 'ev1', type: 'delivered' }],
      replayToken: { value: 'tok1', ttlS: 660 },
    });
  });
  it('refuses a wrong key, a stale timestamp and a missing signature', async () => {
    await expect(v(body(String(NOW), 'tok1', 'other'), {})).rejects.toThrow(SignatureError);
    await expect(v(body(String(NOW - 301)), {})).rejects.toThrow(/tolerance/);
    await expect(v('{"event-data":{}}', {})).rejects.toThrow(SignatureError);
  });
});
