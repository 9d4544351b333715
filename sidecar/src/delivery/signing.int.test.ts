import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from './sign';
import { startDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import { startReceiver, type Received, type TestReceiver } from '../../test/delivery/receiver';

const flat = (r: Received) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));

describe('delivery signing (receivers verify with standardwebhooks and svix)', () => {
  let h: DeliveryHarness;
  let rx: TestReceiver;
  beforeAll(async () => {
    h = await startDeliveryHarness();
    rx = await startReceiver();
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
  });

  it('delivers {type,timestamp,data} signed the Standard Webhooks way', async () => {
    const secret = generateSecret();
    await h.putEndpoint('std', { url: rx.url, secrets: [secret], headers: { 'X-Tenant': 'acme' } });
    const res = await h.postMessages([{ id: 'sig-1', endpoint_id: 'std', event_type: 'invoice.paid', payload: { n: 1, s: 'é' }, timestamp: '2026-01-02T03:04:05.000Z' }]);
    expect(res).toEqual({ accepted: ['sig-1'], duplicates: [], rejected: [] });
    await rx.waitFor((r) => r.some((x) => x.id === 'sig-1'));
    const got = rx.received.find((x) => x.id === 'sig-1')!;
    expect(JSON.parse(got.body)).toEqual({ type: 'invoice.paid', timestamp: '2026-01-02T03:04:05.000Z', data: { n: 1, s: 'é' } });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toMatch(/^integrations-app-sidecar/);
    expect(got.headers['x-tenant']).toBe('acme');
    expect(new StandardWebhook(secret).verify(got.body, flat(got))).toEqual(JSON.parse(got.body));
    expect(() => new SvixWebhook(secret).verify(got.body, flat(got))).not.toThrow();
    const msg = await h.waitForStatus('sig-1', ['succeeded']);
    expect(msg.attempts).toHaveLength(1);
    expect(msg.attempts[0]).toMatchObject({ n: 1, status_code: 204, error: null });
  });

  it('signs with every unexpired secret during a rotation; either side verifies', async () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const expired = generateSecret();
    await h.putEndpoint('rot', {
      url: rx.url,
      secrets: [{ value: expired, expires_at: '2020-01-01T00:00:00Z' }, { value: oldSecret, expires_at: new Date(Date.now() + 86400_000).toISOString() }, newSecret],
    });
    await h.postMessages([{ id: 'rot-1', endpoint_id: 'rot', event_type: 'x', payload: {} }]);
    await rx.waitFor((r) => r.some((x) => x.id === 'rot-1'));
    const got = rx.received.find((x) => x.id === 'rot-1')!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) {
      expect(() => new StandardWebhook(s).verify(got.body, flat(got))).not.toThrow();
      expect(() => new SvixWebhook(s).verify(got.body, flat(got))).not.toThrow();
    }
    expect(() => new StandardWebhook(expired).verify(got.body, flat(got))).toThrow();
  });

  it('sends the Frappe-compatible header in frappe mode and none in none mode', async () => {
    await h.putEndpoint('frp', { url: rx.url, signing: 'frappe', secrets: ['plain frappe secret'] });
    await h.putEndpoint('non', { url: rx.url, signing: 'none' });
    await h.postMessages([
      { id: 'frp-1', endpoint_id: 'frp', event_type: 'x', payload: { a: [1, 2] } },
      { id: 'non-1', endpoint_id: 'non', event_type: 'x', payload: null },
    ]);
    await rx.waitFor((r) => ['frp-1', 'non-1'].every((id) => r.some((x) => x.id === id)));
    const frp = rx.received.find((x) => x.id === 'frp-1')!;
    const expected = createHmac('sha256', Buffer.from('plain frappe secret', 'utf8')).update(frp.body).digest('base64');
    expect(frp.headers['x-frappe-webhook-signature']).toBe(expected);
    expect(frp.headers['webhook-signature']).toBeUndefined();
    const non = rx.received.find((x) => x.id === 'non-1')!;
    expect(non.headers['webhook-signature']).toBeUndefined();
    expect(non.headers['x-frappe-webhook-signature']).toBeUndefined();
  });

  it('re-signs each retry with a fresh timestamp over identical body bytes', async () => {
    const secret = generateSecret();
    const flaky = await startReceiver((_req, _body, res, seen) => {
      res.writeHead(seen.length === 1 ? 500 : 200).end('ok');
    });
    try {
      await h.putEndpoint('retry', { url: flaky.url, secrets: [secret], retry_schedule_s: [2] });
      await h.postMessages([{ id: 'retry-1', endpoint_id: 'retry', event_type: 'x', payload: { v: 1 } }]);
      const msg = await h.waitForStatus('retry-1', ['succeeded']);
      expect(msg.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);
      const [a, b] = flaky.received;
      expect(a!.body).toBe(b!.body);
      expect(Number(b!.headers['webhook-timestamp'])).toBeGreaterThan(Number(a!.headers['webhook-timestamp']));
      expect(b!.headers['webhook-signature']).not.toBe(a!.headers['webhook-signature']);
      for (const r of [a!, b!]) expect(() => new SvixWebhook(secret).verify(r.body, flat(r))).not.toThrow();
    } finally {
      await flaky.close();
    }
  });
});
