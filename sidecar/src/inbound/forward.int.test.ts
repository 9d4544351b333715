import { Redis } from 'ioredis';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../../test/helpers';
import { FrappeStandin } from '../../test/inbound/frappe-standin';
import { startInboundHarness, type InboundHarness } from '../../test/inbound/harness';
import { backoffMs, GROUP } from './forwarder';
import { inboundKeys } from './keys';

const stripe = new Stripe('sk_test_unused');
const SECRET = 'whsec_forwarding_tests';
const FAST = { minBackoffMs: 50, maxBackoffMs: 400, blockMs: 100 };

function stripeDelivery(id: string) {
  const body = JSON.stringify({ id, type: 'payment_intent.succeeded', object: 'event' });
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) } };
}

async function postAll(url: string, ids: string[], concurrency = 20): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < ids.length; i += concurrency) {
    const chunk = ids.slice(i, i + concurrency);
    statuses.push(...(await Promise.all(chunk.map(async (id) => (await fetch(url, stripeDelivery(id))).status))));
  }
  return statuses;
}

/** Redis stream ids `<ms>-<seq>` in stream order. */
function byStreamId(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

type Listed = { provider_event_id: string; status: string };
const listEvents = async (h: InboundHarness, slug: string) =>
  (await (await h.api(`/v1/inbound-endpoints/${slug}/events?limit=1000`)).json()) as Listed[];

describe('forwarding to Frappe', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setup(o: { prefix?: string; frappe?: FrappeStandin | null; claimIdleMs?: number } = {}) {
    const prefix = o.prefix ?? uniquePrefix('fwd');
    const h = await startInboundHarness({
      prefix, frappeUrl: o.frappe ? o.frappe.url : undefined, inbound: { forwarder: { ...FAST, claimIdleMs: o.claimIdleMs ?? 60_000 } },
    });
    cleanups.push(() => h.stop());
    await h.api('/v1/inbound-endpoints/pay', { method: 'PUT', json: { provider: 'stripe', secret: SECRET } });
    return h;
  }
  const standin = async () => {
    const s = await new FrappeStandin().start();
    cleanups.push(() => s.close());
    return s;
  };

  it('loses nothing while Frappe is down or answering 503, then delivers each event exactly once', async () => {
    const frappe = await standin();
    const prefix = uniquePrefix('fwd');
    cleanups.push(() => dropPrefix(prefix));
    await frappe.setMode('down');
    const h = await setup({ prefix, frappe });
    const ids = Array.from({ length: 200 }, (_, i) => `evt_down_${i}`);
    expect(await postAll(`${h.url}/v1/inbound/pay`, ids)).toEqual(ids.map(() => 200));
    const queued = await listEvents(h, 'pay');
    expect(queued).toHaveLength(200);
    expect(new Set(queued.map((e) => e.status))).toEqual(new Set(['queued']));

    await frappe.setMode('503');
    await expect.poll(() => frappe.rejectedCalls, { timeout: 5000 }).toBeGreaterThan(1);
    expect(frappe.stored.size).toBe(0);
    await frappe.setMode('up');
    await expect.poll(() => frappe.stored.size, { timeout: 10_000 }).toBe(200);

    expect([...frappe.stored.keys()].sort()).toEqual(ids.map((id) => `pay|${id}`).sort());
    expect([...frappe.sends.values()].every((n) => n === 1)).toBe(true);
    expect(frappe.sends.size).toBe(200);
    // Stream order is preserved: the batches arrive in the order the events were accepted.
    const sent = [...frappe.stored.values()].map((e) => e.sidecar_id);
    expect(sent).toEqual([...sent].sort(byStreamId));
    await expect.poll(async () => new Set((await listEvents(h, 'pay')).map((e) => e.status)), { timeout: 3000 }).toEqual(new Set(['forwarded']));
    const redis = new Redis(TEST_REDIS_URL);
    expect(await redis.xlen(inboundKeys(prefix).stream)).toBe(0);
    redis.disconnect();
  });

  it('answers a duplicate Stripe delivery 200 and forwards the event once', async () => {
    const frappe = await standin();
    const h = await setup({ frappe });
    const first = await fetch(`${h.url}/v1/inbound/pay`, stripeDelivery('evt_dup'));
    const second = await fetch(`${h.url}/v1/inbound/pay`, stripeDelivery('evt_dup'));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual({ accepted: 0, duplicates: 1 });
    expect(((await (await h.api('/v1/inbound-endpoints/pay')).json()) as { stats: unknown }).stats).toEqual({ accepted: 1, rejected: 0, duplicates: 1 });
    // A later event through the same stream: once Frappe has it, a stored duplicate would have been sent before it.
    expect((await fetch(`${h.url}/v1/inbound/pay`, stripeDelivery('evt_after_dup'))).status).toBe(200);
    await expect.poll(() => frappe.stored.has('pay|evt_after_dup'), { timeout: 5000 }).toBe(true);
    expect(frappe.received.map((e) => e.provider_event_id)).toEqual(['evt_dup', 'evt_after_dup']);
  });

  it('two sidecar processes share the work without sending any event twice', async () => {
    const frappe = await standin();
    const prefix = uniquePrefix('fwd');
    cleanups.push(() => dropPrefix(prefix));
    const a = await setup({ prefix, frappe });
    const b = await setup({ prefix, frappe });
    const ids = Array.from({ length: 300 }, (_, i) => `evt_pair_${i}`);
    await Promise.all([
      postAll(`${a.url}/v1/inbound/pay`, ids.filter((_, i) => i % 2 === 0), 10),
      postAll(`${b.url}/v1/inbound/pay`, ids.filter((_, i) => i % 2 === 1), 10),
    ]);
    await expect.poll(() => frappe.stored.size, { timeout: 10_000 }).toBe(300);
    expect(frappe.sends.size).toBe(300);
    expect([...frappe.sends.values()].every((n) => n === 1)).toBe(true);
  });

  it('parks events Frappe refuses for good instead of retrying them forever', async () => {
    const frappe = await standin();
    const prefix = uniquePrefix('fwd');
    cleanups.push(() => dropPrefix(prefix));
    frappe.unknownSlugs.add('pay');
    const h = await setup({ prefix, frappe });
    await h.api('/v1/inbound-endpoints/known', { method: 'PUT', json: { provider: 'stripe', secret: SECRET } });
    expect(await postAll(`${h.url}/v1/inbound/pay`, ['evt_orphaned_endpoint'])).toEqual([200]);
    expect(await postAll(`${h.url}/v1/inbound/known`, ['evt_after'])).toEqual([200]);
    await expect.poll(() => frappe.stored.size, { timeout: 5000 }).toBe(1);
    await expect.poll(async () => (await listEvents(h, 'pay')).map((e) => e.status), { timeout: 3000 }).toEqual(['rejected']);
    const redis = new Redis(TEST_REDIS_URL);
    const dead = (await redis.xrange(inboundKeys(prefix).dead, '-', '+')) as [string, string[]][];
    redis.disconnect();
    expect(dead).toHaveLength(1);
    const fields = dead[0]![1];
    expect(fields[fields.indexOf('pid') + 1]).toBe('evt_orphaned_endpoint');
    expect(fields[fields.indexOf('reason') + 1]).toMatch(/^endpoint_not_found/);
    expect(frappe.sends.get(fields[fields.indexOf('sidecar_id') + 1]!)).toBe(1);
  });

  it('claims events a crashed process read but never confirmed', async () => {
    const prefix = uniquePrefix('fwd');
    cleanups.push(() => dropPrefix(prefix));
    const keys = inboundKeys(prefix);
    const standalone = await setup({ prefix });
    expect(await postAll(`${standalone.url}/v1/inbound/pay`, ['evt_orphan_1', 'evt_orphan_2'])).toEqual([200, 200]);
    expect((await listEvents(standalone, 'pay')).map((e) => e.status)).toEqual(['stored', 'stored']);
    // A "crashed" consumer: it read both events into its pending list, then vanished.
    const redis = new Redis(TEST_REDIS_URL);
    cleanups.push(async () => void redis.disconnect());
    await redis.xgroup('CREATE', keys.stream, GROUP, '0', 'MKSTREAM');
    await redis.xreadgroup('GROUP', GROUP, 'crashed-consumer', 'COUNT', 10, 'STREAMS', keys.stream, '>');

    const frappe = await standin();
    await setup({ prefix, frappe, claimIdleMs: 500 });
    await expect.poll(() => frappe.stored.size, { timeout: 5000 }).toBe(2);
    expect((await listEvents(standalone, 'pay')).map((e) => e.status)).toEqual(['forwarded', 'forwarded']);
  });
});

describe('backoff', () => {
  it('grows exponentially from the minimum, is capped, and jitters ±20%', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10, 100].map((n) => backoffMs(n, 500, 30_000, mid))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
    expect(backoffMs(1, 500, 30_000, () => 0)).toBe(400);
    expect(backoffMs(1, 500, 30_000, () => 1)).toBe(600);
  });
});
