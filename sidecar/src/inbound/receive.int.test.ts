import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, stubFetch, type TestPki } from '../../test/inbound/certs';
import { FrappeStandin } from '../../test/inbound/frappe-standin';
import { startInboundHarness, type InboundHarness } from '../../test/inbound/harness';
import { PAYPAL_CERT_URL, paypalHeaders, SNS_CERT_URL, sesNotification, snsBody, TOPIC } from '../../test/inbound/signers';
import { MAX_BODY_BYTES } from './receive';

type Req = { body: string | Buffer; headers: Record<string, string> };
type Negative = [name: string, status: number, code: string, req: Req];

/** How each provider signs a delivery, and the ways a delivery can be wrong. */
interface Case {
  provider: string;
  secret: string;
  config: Record<string, unknown>;
  valid(id: string): Req;
  negatives(id: string): Negative[];
}

const now = () => Math.floor(Date.now() / 1000);
const hmac = (key: string | Buffer, data: string | Buffer, enc: 'hex' | 'base64') => createHmac('sha256', key).update(data).digest(enc);
const stripe = new Stripe('sk_test_unused');
const json = { 'content-type': 'application/json' };
/** Valid JSON with `fields`, plus a value nested 5,000 levels deep (past MAX_JSON_DEPTH). */
const deepJson = (fields: Record<string, unknown>) => `${JSON.stringify(fields).slice(0, -1)},"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`;
/** Authentic but unusable: a JSON provider's body must be JSON, whatever the verifier reads. */
const notJson = 'not json';
const text = { 'content-type': 'text/plain' };

let pki: TestPki;
let sgKey: KeyObject;
let sgPub: string;

function cases(): Case[] {
  const stripeSecret = 'whsec_int_stripe_secret';
  const stripeReq = (id: string, o: { secret?: string; t?: number; body?: string } = {}): Req => {
    const body = o.body ?? JSON.stringify({ id, type: 'charge.succeeded', object: 'event' });
    const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret: o.secret ?? stripeSecret, timestamp: o.t ?? now() });
    return { body, headers: { ...json, 'stripe-signature': sig } };
  };
  const stdKey = `whsec_${Buffer.from('standard-webhooks-key-0123456789').toString('base64')}`;
  const stdReq = (id: string, o: { key?: string; ts?: number; body?: string } = {}): Req => {
    const ts = o.ts ?? now();
    const body = o.body ?? JSON.stringify({ type: 'invoice.created', timestamp: new Date().toISOString(), data: { id } });
    const sig = new StandardWebhook(o.key ?? stdKey).sign(id, new Date(ts * 1000), body);
    return { body, headers: { ...json, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig } };
  };
  const mgReq = (id: string, o: { key?: string; ts?: number; token?: string; deep?: boolean } = {}): Req => {
    const ts = String(o.ts ?? now());
    const token = o.token ?? `tok-${id}`;
    const doc = { signature: { timestamp: ts, token, signature: hmac(o.key ?? 'mg-key', ts + token, 'hex') }, 'event-data': { id, event: 'delivered' } };
    return { body: o.deep ? deepJson(doc) : JSON.stringify(doc), headers: json };
  };
  const sgReq = (id: string, o: { ts?: number; body?: string; key?: KeyObject } = {}): Req => {
    const ts = String(o.ts ?? now());
    const body = o.body ?? JSON.stringify([{ email: 'a@example.com', event: 'delivered', sg_event_id: id }]);
    const sig = sign('sha256', Buffer.from(ts + body), { key: o.key ?? sgKey, dsaEncoding: 'der' }).toString('base64');
    return { body, headers: { ...json, 'x-twilio-email-event-webhook-signature': sig, 'x-twilio-email-event-webhook-timestamp': ts } };
  };
  const ppReq = (id: string, o: { webhookId?: string; time?: number; body?: string; signer?: 'paypal' | 'rogue' } = {}): Req => {
    const body = o.body ?? JSON.stringify({ id, event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} });
    const time = new Date((o.time ?? now()) * 1000).toISOString();
    return { body, headers: paypalHeaders(pki[o.signer ?? 'paypal'], { body, webhookId: o.webhookId ?? 'WH-ID-1', time }) };
  };
  const sesReq = (id: string, ts = new Date().toISOString()): Req => ({ body: sesNotification(pki.sns, id, ts), headers: text });
  const withHeaders = (r: Req, h: Record<string, string>): Req => ({ body: r.body, headers: { ...r.headers, ...h } });
  const without = (r: Req, name: string): Req => {
    const headers = { ...r.headers };
    delete headers[name];
    return { body: r.body, headers };
  };
  // Still valid JSON, different bytes: only the signature can catch it.
  const tamper = (r: Req): Req => ({ body: `${String(r.body).slice(0, -1)} }`, headers: r.headers });
  const sig401 = (name: string, req: Req): Negative => [name, 401, 'signature_invalid', req];

  const ghReq = (id: string, secret = 'gh-secret', body = '{"action":"opened"}'): Req => {
    const signature = `sha256=${hmac(secret, body, 'hex')}`;
    return { body, headers: { ...json, 'x-hub-signature-256': signature, 'x-github-delivery': id, 'x-github-event': 'issues' } };
  };
  const rzReq = (id: string, secret = 'rz-secret', body = '{"event":"payment.captured"}'): Req =>
    ({ body, headers: { ...json, 'x-razorpay-signature': hmac(secret, body, 'hex'), 'x-razorpay-event-id': id } });
  const shReq = (id: string, secret = 'sh-secret', body = '{"id":1}'): Req =>
    ({ body, headers: { ...json, 'x-shopify-hmac-sha256': hmac(secret, body, 'base64'), 'x-shopify-webhook-id': id, 'x-shopify-topic': 'orders/create' } });
  const hmReq = (id: string, secret = 'hm-secret', body = 'plain bytes'): Req =>
    ({ body, headers: { 'x-signature': `sha256=${hmac(secret, body, 'hex')}`, 'x-event-id': id } });

  return [
    {
      provider: 'stripe', secret: stripeSecret, config: { provider: 'stripe', secret: stripeSecret }, valid: (id) => stripeReq(id),
      negatives: (id) => [
        sig401('tampered', tamper(stripeReq(id))), sig401('wrong secret', stripeReq(id, { secret: 'whsec_wrong' })),
        sig401('stale', stripeReq(id, { t: now() - 1000 })), sig401('missing header', without(stripeReq(id), 'stripe-signature')),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(stripeReq(id), text)],
        ['malformed', 400, 'invalid_request', stripeReq(id, { body: 'not json' })],
        ['too deep', 400, 'invalid_request', stripeReq(id, { body: deepJson({ id, type: 'charge.succeeded' }) })],
      ],
    },
    {
      // GitHub's own library signs here; the unit tests also check its documented vector.
      provider: 'github', secret: 'gh-secret', config: { provider: 'github', secret: 'gh-secret' }, valid: (id) => ghReq(id),
      negatives: (id) => [
        sig401('tampered', tamper(ghReq(id))), sig401('wrong secret', ghReq(id, 'other')),
        sig401('missing header', without(ghReq(id), 'x-hub-signature-256')),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(ghReq(id), text)],
        ['missing delivery id', 400, 'invalid_request', without(ghReq(id), 'x-github-delivery')],
        ['not JSON', 400, 'invalid_request', ghReq(id, 'gh-secret', notJson)],
        ['too deep', 400, 'invalid_request', ghReq(id, 'gh-secret', deepJson({ action: 'opened' }))],
      ],
    },
    {
      provider: 'razorpay', secret: 'rz-secret', config: { provider: 'razorpay', secret: 'rz-secret' }, valid: (id) => rzReq(id),
      negatives: (id) => [
        sig401('tampered', tamper(rzReq(id))), sig401('wrong secret', rzReq(id, 'other')),
        sig401('missing header', without(rzReq(id), 'x-razorpay-signature')),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(rzReq(id), text)],
        ['malformed', 400, 'invalid_request', rzReq(id, 'rz-secret', '[1,2')],
        ['too deep', 400, 'invalid_request', rzReq(id, 'rz-secret', deepJson({ event: 'payment.captured' }))],
      ],
    },
    {
      provider: 'shopify', secret: 'sh-secret', config: { provider: 'shopify', secret: 'sh-secret' }, valid: (id) => shReq(id),
      negatives: (id) => [
        sig401('tampered', { body: '{"id":2}', headers: shReq(id).headers }), sig401('wrong secret', shReq(id, 'other')),
        sig401('missing header', without(shReq(id), 'x-shopify-hmac-sha256')),
        ['wrong content type', 415, 'unsupported_media_type', without(shReq(id), 'content-type')],
        ['missing webhook id', 400, 'invalid_request', without(shReq(id), 'x-shopify-webhook-id')],
        ['not JSON', 400, 'invalid_request', shReq(id, 'sh-secret', notJson)],
        ['too deep', 400, 'invalid_request', shReq(id, 'sh-secret', deepJson({ id: 1 }))],
      ],
    },
    {
      provider: 'standard', secret: stdKey, config: { provider: 'standard', secret: [stdKey] }, valid: (id) => stdReq(id),
      negatives: (id) => [
        sig401('tampered', tamper(stdReq(id))),
        sig401('wrong secret', stdReq(id, { key: `whsec_${Buffer.from('another-key-0123456789abcdef').toString('base64')}` })),
        sig401('stale', stdReq(id, { ts: now() - 1000 })), sig401('missing header', without(stdReq(id), 'webhook-signature')),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(stdReq(id), text)],
        ['malformed', 400, 'invalid_request', stdReq(id, { body: '{"no":"type"}' })],
        ['not JSON', 400, 'invalid_request', stdReq(id, { body: notJson })],
        ['too deep', 400, 'invalid_request', stdReq(id, { body: deepJson({ type: 'invoice.created' }) })],
      ],
    },
    {
      provider: 'hmac-sha256', secret: 'hm-secret',
      config: { provider: 'hmac-sha256', secret: 'hm-secret', options: { header: 'X-Signature', prefix: 'sha256=', id_header: 'X-Event-Id' } },
      valid: (id) => hmReq(id),
      negatives: (id) => [
        sig401('tampered', { body: 'other bytes', headers: hmReq(id).headers }), sig401('wrong secret', hmReq(id, 'other')),
        sig401('missing header', without(hmReq(id), 'x-signature')),
        ['missing id', 400, 'invalid_request', without(hmReq(id), 'x-event-id')],
      ],
    },
    {
      provider: 'mailgun', secret: 'mg-key', config: { provider: 'mailgun', secret: 'mg-key' }, valid: (id) => mgReq(id),
      negatives: (id) => [
        sig401('tampered', { body: String(mgReq(id).body).replace('delivered', 'opened').replace(/"signature":"[0-9a-f]+"/, '"signature":"00"'), headers: json }),
        sig401('wrong secret', mgReq(id, { key: 'other' })), sig401('stale', mgReq(id, { ts: now() - 1000 })),
        sig401('missing signature', { body: JSON.stringify({ 'event-data': { id, event: 'delivered' } }), headers: json }),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(mgReq(id), { 'content-type': 'multipart/form-data; boundary=x' })],
        ['malformed', 400, 'invalid_request', { body: '{oops', headers: json }],
        ['too deep', 400, 'invalid_request', mgReq(id, { deep: true })],
      ],
    },
    {
      provider: 'sendgrid', secret: sgPub, config: { provider: 'sendgrid', secret: sgPub, tolerance_s: 300 }, valid: (id) => sgReq(id),
      negatives: (id) => [
        sig401('tampered', { body: String(sgReq(id).body).replace('delivered', 'bounce'), headers: sgReq(id).headers }),
        sig401('wrong key', sgReq(id, { key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey })),
        sig401('stale', sgReq(id, { ts: now() - 1000 })),
        sig401('missing header', without(sgReq(id), 'x-twilio-email-event-webhook-timestamp')),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(sgReq(id), text)],
        ['malformed', 400, 'invalid_request', sgReq(id, { body: '{"not":"an array"}' })],
        ['not JSON', 400, 'invalid_request', sgReq(id, { body: notJson })],
        ['too deep', 400, 'invalid_request', sgReq(id, { body: `[${deepJson({ sg_event_id: id, event: 'delivered' })}]` })],
      ],
    },
    {
      provider: 'paypal', secret: 'WH-ID-1', config: { provider: 'paypal', secret: 'WH-ID-1', tolerance_s: 300 }, valid: (id) => ppReq(id),
      negatives: (id) => [
        sig401('tampered', tamper(ppReq(id))), sig401('wrong webhook id', ppReq(id, { webhookId: 'WH-ID-2' })),
        sig401('untrusted certificate', ppReq(id, { signer: 'rogue' })), sig401('stale', ppReq(id, { time: now() - 1000 })),
        sig401('missing header', without(ppReq(id), 'paypal-transmission-sig')),
        sig401('foreign cert host', withHeaders(ppReq(id), { 'paypal-cert-url': 'https://paypal.com.evil.example/v1/notifications/certs/X' })),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(ppReq(id), text)],
        ['malformed', 400, 'invalid_request', ppReq(id, { body: '{"event_type":"X"}' })],
        ['not JSON', 400, 'invalid_request', ppReq(id, { body: notJson })],
        ['too deep', 400, 'invalid_request', ppReq(id, { body: deepJson({ id, event_type: 'X' }) })],
      ],
    },
    {
      provider: 'ses', secret: '', config: { provider: 'ses', options: { allowed_topic_arns: [TOPIC] } }, valid: (id) => sesReq(id),
      negatives: (id) => [
        sig401('tampered', { body: sesReq(id).body.toString().replace('Bounce', 'Delivery'), headers: text }),
        sig401('stale', sesReq(id, new Date(Date.now() - 3 * 3600_000).toISOString())),
        sig401('other topic', { body: snsBody(pki.sns, { Type: 'Notification', MessageId: id, Timestamp: new Date().toISOString(), Message: '{}', TopicArn: `${TOPIC}-x` }), headers: text }),
        sig401('missing signature', { body: JSON.stringify({ ...JSON.parse(String(sesReq(id).body)), Signature: undefined }), headers: text }),
        ['wrong content type', 415, 'unsupported_media_type', withHeaders(sesReq(id), json)],
        ['malformed', 400, 'invalid_request', { body: 'not json', headers: text }],
      ],
    },
  ];
}

describe('POST /v1/inbound/:slug for every provider', () => {
  let standin: FrappeStandin;
  let h: InboundHarness;
  /** A harness whose certificate fetches go through its own recording stub (and its own cache). */
  const startWithCerts = async (frappeUrl?: string) => {
    const stub = stubFetch({ [PAYPAL_CERT_URL]: pki.paypal.cert + pki.intermediate, [SNS_CERT_URL]: pki.sns.cert });
    const harness = await startInboundHarness({
      frappeUrl,
      inbound: { certs: { fetch: stub.fetch, trustRoots: [pki.root] }, fetch: stub.fetch, forwarder: { minBackoffMs: 50, maxBackoffMs: 200, blockMs: 100 } },
    });
    return { harness, asked: stub.asked };
  };
  beforeAll(async () => {
    pki = makeTestPki();
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    sgKey = pair.privateKey;
    sgPub = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    standin = await new FrappeStandin().start();
    h = (await startWithCerts(standin.url)).harness;
  });
  afterAll(async () => {
    await h.stop(true);
    await standin.close();
  });

  const postTo = (base: string, slug: string, r: Req) => fetch(`${base}/v1/inbound/${slug}`, { method: 'POST', body: r.body, headers: r.headers });
  const post = (slug: string, r: Req) => postTo(h.url, slug, r);
  const forwardedFor = (slug: string) => [...standin.stored.values()].filter((e) => e.slug === slug);
  /** Every event of `slug` the forwarder sent, in order, re-sends and duplicates included. */
  const sentIds = (slug: string) => standin.received.filter((e) => e.slug === slug).map((e) => e.provider_event_id);

  it('answers an unknown slug with 404', async () => {
    const res = await post('no-such-endpoint', { body: '{}', headers: json });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  for (const name of ['stripe', 'github', 'razorpay', 'shopify', 'standard', 'hmac-sha256', 'mailgun', 'sendgrid', 'paypal', 'ses']) {
    it(`${name}: every bad delivery gets its status and nothing is forwarded; a good one is forwarded once`, async () => {
      const c = cases().find((x) => x.provider === name)!;
      const slug = `${name}-ep`;
      expect((await h.api(`/v1/inbound-endpoints/${slug}`, { method: 'PUT', json: c.config })).status).toBe(200);

      const negatives = c.negatives('bad-1');
      const valid = c.valid('good-1');
      negatives.push(['too large', 413, 'payload_too_large', { body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20), headers: valid.headers }]);
      for (const [what, status, code, req] of negatives) {
        const res = await post(slug, req);
        const text = await res.text();
        expect({ what, status: res.status, code: (JSON.parse(text) as { error: { code: string } }).error.code }).toEqual({ what, status, code });
        if (c.secret) expect(text).not.toContain(c.secret);
      }
      // Exactly 1 MiB is still accepted by the reader (it fails later, on the signature).
      expect((await post(slug, { body: Buffer.alloc(MAX_BODY_BYTES, 0x20), headers: valid.headers })).status).not.toBe(413);

      const ok = await post(slug, valid);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ accepted: 1, duplicates: 0 });
      await expect.poll(() => sentIds(slug), { timeout: 5000 }).toContain('good-1');
      // The forwarder sends in stream order: had a bad delivery been stored, it would have
      // arrived no later than the good one.
      expect(sentIds(slug)).toEqual(['good-1']);
      const [event] = forwardedFor(slug);
      expect(event).toMatchObject({ slug, provider: name, provider_event_id: 'good-1' });
      if (name !== 'sendgrid') expect(event!.payload).toBe(String(valid.body));

      if (name === 'mailgun') {
        const replay = await post(slug, valid);
        expect(replay.status).toBe(401);
        expect(await replay.text()).toContain('replay');
      }
      const view = (await (await h.api(`/v1/inbound-endpoints/${slug}`)).json()) as { stats: { accepted: number; rejected: number } };
      expect(view.stats.accepted).toBe(1);
      expect(view.stats.rejected).toBe(negatives.length + 1 + (name === 'mailgun' ? 1 : 0));

      // A later delivery through the same path: once it is forwarded, anything stored before it
      // (the replay, a second copy of the good one) would have been sent too.
      expect((await post(slug, c.valid('good-2'))).status).toBe(200);
      await expect.poll(() => sentIds(slug), { timeout: 5000 }).toContain('good-2');
      expect(sentIds(slug)).toEqual(['good-1', 'good-2']);
    });
  }

  it('github: a form-encoded delivery is not held to the JSON rule (the rule follows the content type sent)', async () => {
    expect((await h.api('/v1/inbound-endpoints/github-form', { method: 'PUT', json: { provider: 'github', secret: 'gh-secret' } })).status).toBe(200);
    const body = `payload=${encodeURIComponent('{"action":"opened"}')}`;
    const headers = {
      'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': `sha256=${hmac('gh-secret', body, 'hex')}`,
      'x-github-delivery': 'form-1', 'x-github-event': 'issues',
    };
    const res = await post('github-form', { body, headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('fetched certificates only from the allow-listed URLs', async () => {
    const { harness, asked } = await startWithCerts();
    try {
      expect((await harness.api('/v1/inbound-endpoints/pp-certs', { method: 'PUT', json: { provider: 'paypal', secret: 'WH-ID-1' } })).status).toBe(200);
      expect((await harness.api('/v1/inbound-endpoints/ses-certs', { method: 'PUT', json: { provider: 'ses', options: { allowed_topic_arns: [TOPIC] } } })).status).toBe(200);
      const body = JSON.stringify({ id: 'cert-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} });
      const time = new Date().toISOString();
      const paypal = (certUrl?: string): Req => ({ body, headers: paypalHeaders(pki.paypal, { body, webhookId: 'WH-ID-1', time, certUrl }) });
      const ses = (id: string, certUrl?: string): Req => ({
        body: snsBody(pki.sns, {
          Type: 'Notification', MessageId: id, Timestamp: time, Message: '{}', ...(certUrl ? { SigningCertURL: certUrl } : {}),
        }),
        headers: text,
      });
      const foreign: [string, Req][] = [
        ['pp-certs', paypal('https://paypal.com.evil.example/v1/notifications/certs/X')],
        ['pp-certs', paypal('http://api.paypal.com/v1/notifications/certs/CERT-test-1')],
        ['pp-certs', paypal('https://api.paypal.com:8443/v1/notifications/certs/CERT-test-1')],
        ['ses-certs', ses('cert-x', 'https://sns.us-east-1.amazonaws.com.evil.example/x.pem')],
        ['ses-certs', ses('cert-y', 'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem')],
      ];
      const statuses: number[] = [];
      for (const [slug, req] of foreign) statuses.push((await postTo(harness.url, slug, req)).status);
      statuses.push((await postTo(harness.url, 'pp-certs', paypal())).status, (await postTo(harness.url, 'ses-certs', ses('cert-2'))).status);
      expect(new Set(asked)).toEqual(new Set([PAYPAL_CERT_URL, SNS_CERT_URL]));
      expect(statuses).toEqual([...foreign.map(() => 401), 200, 200]);
    } finally {
      await harness.stop(true);
    }
  });
});
