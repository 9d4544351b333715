import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, type TestSidecar } from '../../test/helpers';
import { startInboundHarness, type InboundHarness } from '../../test/inbound/harness';
import { uniquePrefix, dropPrefix } from '../../test/helpers';

const stripe = new Stripe('sk_test_unused');
const SECRET = 'whsec_endpoint_api_secret_value';

function stripeRequest(secret: string, id: string) {
  const body = JSON.stringify({ id, type: 'customer.created', object: 'event' });
  const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': sig } };
}

describe('inbound endpoint API (full sidecar)', () => {
  let sc: TestSidecar;
  beforeAll(async () => {
    sc = await startTestSidecar();
  });
  afterAll(async () => {
    await sc.close();
  });

  it('PUT validates strictly per provider', async () => {
    const bad = [
      { provider: 'stripe', secret: SECRET, extra: 1 },
      { provider: 'nope', secret: SECRET },
      { provider: 'ses', options: {} },
      { provider: 'hmac-sha256', secret: 'x', options: { header: 'x-sig', encoding: 'hex', bogus: true } },
      { provider: 'stripe', secret: SECRET, tolerance_s: 0 },
    ];
    for (const json of bad) expect((await sc.api('/v1/inbound-endpoints/s1', { method: 'PUT', json })).status).toBe(400);
    expect((await sc.api('/v1/inbound-endpoints/bad:slug', { method: 'PUT', json: { provider: 'stripe', secret: SECRET } })).status).toBe(400);
    expect((await fetch(`${sc.url}/v1/inbound-endpoints/s1`, { method: 'PUT' })).status).toBe(401);
  });

  it('PUT → GET (redacted, with stats) → events → DELETE', async () => {
    const put = await sc.api('/v1/inbound-endpoints/shop-1', { method: 'PUT', json: { provider: 'stripe', secret: SECRET, tolerance_s: 120 } });
    expect(put.status).toBe(200);
    const putText = await put.text();
    expect(putText).not.toContain(SECRET);
    expect(JSON.parse(putText)).toMatchObject({ slug: 'shop-1', provider: 'stripe', secret: '[redacted]', tolerance_s: 120, public_path: '/v1/inbound/shop-1' });

    expect((await fetch(`${sc.url}/v1/inbound/shop-1`, stripeRequest(SECRET, 'evt_a'))).status).toBe(200);
    expect((await fetch(`${sc.url}/v1/inbound/shop-1`, stripeRequest(SECRET, 'evt_a'))).status).toBe(200);
    expect((await fetch(`${sc.url}/v1/inbound/shop-1`, stripeRequest('whsec_wrong', 'evt_b'))).status).toBe(401);

    const got = await sc.api('/v1/inbound-endpoints/shop-1');
    const text = await got.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text).stats).toEqual({ accepted: 1, rejected: 1, duplicates: 1 });

    const events = (await (await sc.api('/v1/inbound-endpoints/shop-1/events?limit=10')).json()) as { provider_event_id: string; status: string }[];
    expect(events).toEqual([{ id: expect.any(String), provider_event_id: 'evt_a', type: 'customer.created', received_at: expect.any(String), status: 'stored' }]);
    expect((await sc.api('/v1/inbound-endpoints/shop-1/events?limit=0')).status).toBe(400);

    expect((await sc.api('/v1/inbound-endpoints/shop-1', { method: 'DELETE' })).status).toBe(204);
    expect((await sc.api('/v1/inbound-endpoints/shop-1')).status).toBe(404);
    expect((await sc.api('/v1/inbound-endpoints/shop-1', { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${sc.url}/v1/inbound/shop-1`, stripeRequest(SECRET, 'evt_c'))).status).toBe(404);
  });

  it('reports inbound metrics by provider and result', async () => {
    const text = await (await fetch(`${sc.url}/metrics`)).text();
    expect(text).toMatch(/sidecar_inbound_requests_total\{provider="stripe",result="accepted"\} 1/);
    expect(text).toMatch(/sidecar_inbound_requests_total\{provider="stripe",result="duplicate"\} 1/);
  });

  it('POST /v1/inbound-endpoints/lookup returns many views, stats included, in one call', async () => {
    for (const slug of ['look-a', 'look-b']) {
      expect((await sc.api(`/v1/inbound-endpoints/${slug}`, { method: 'PUT', json: { provider: 'stripe', secret: SECRET } })).status).toBe(200);
    }
    expect((await fetch(`${sc.url}/v1/inbound/look-b`, stripeRequest(SECRET, 'evt_look'))).status).toBe(200);

    const res = await sc.api('/v1/inbound-endpoints/lookup', { method: 'POST', json: { slugs: ['look-a', 'look-b', 'look-none', 'look-a'] } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const body = JSON.parse(text) as { found: Record<string, { slug: string; secret: string; stats: unknown }>; missing: string[] };
    expect(Object.keys(body.found).sort()).toEqual(['look-a', 'look-b']);
    expect(body.found['look-a']).toMatchObject({ slug: 'look-a', provider: 'stripe', secret: '[redacted]', stats: { accepted: 0, rejected: 0, duplicates: 0 } });
    expect(body.found['look-b']!.stats).toEqual({ accepted: 1, rejected: 0, duplicates: 0 });
    expect(body.missing).toEqual(['look-none']);

    for (const json of [{}, { slugs: [] }, { slugs: ['bad:slug'] }, { slugs: ['x'], extra: 1 }, { slugs: Array.from({ length: 1001 }, (_, i) => `s${i}`) }]) {
      expect((await sc.api('/v1/inbound-endpoints/lookup', { method: 'POST', json })).status).toBe(400);
    }
    expect((await fetch(`${sc.url}/v1/inbound-endpoints/lookup`, { method: 'POST' })).status).toBe(401);
  });
});

describe('config changes seen by another process', () => {
  const prefix = uniquePrefix('inb-cache');
  let a: InboundHarness;
  let b: InboundHarness;
  beforeAll(async () => {
    a = await startInboundHarness({ prefix });
    b = await startInboundHarness({ prefix });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await dropPrefix(prefix);
  });

  it('a rotated secret and a deletion take effect at once in a process with a cached config', async () => {
    await a.api('/v1/inbound-endpoints/rot', { method: 'PUT', json: { provider: 'stripe', secret: 'whsec_one' } });
    expect((await fetch(`${b.url}/v1/inbound/rot`, stripeRequest('whsec_one', 'evt_1'))).status).toBe(200); // b caches whsec_one
    await a.api('/v1/inbound-endpoints/rot', { method: 'PUT', json: { provider: 'stripe', secret: 'whsec_two' } });
    expect((await fetch(`${b.url}/v1/inbound/rot`, stripeRequest('whsec_two', 'evt_2'))).status).toBe(200);
    expect((await fetch(`${b.url}/v1/inbound/rot`, stripeRequest('whsec_one', 'evt_3'))).status).toBe(401);
    const stats = ((await (await a.api('/v1/inbound-endpoints/rot')).json()) as { stats: unknown }).stats;
    expect(stats).toEqual({ accepted: 2, rejected: 1, duplicates: 0 });
    expect((await a.api('/v1/inbound-endpoints/rot', { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${b.url}/v1/inbound/rot`, stripeRequest('whsec_two', 'evt_4'))).status).toBe(404);
  });
});
