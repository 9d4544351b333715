import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SIZE } from './keys';
import { generateSecret } from './sign';
import { startDeliveryHarness, useDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import type { Received, TestReceiver } from '../../test/delivery/receiver';

const flat = (r: Received) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('batched first attempts to plain endpoints', () => {
  const fx = useDeliveryHarness();
  const { receiver } = fx;
  let h: DeliveryHarness;
  beforeAll(() => void (h = fx.h));
  /** The batch job that claimed a message (`j`), or null if a single-message job sent it. */
  const claimedBy = (hh: DeliveryHarness, id: string) => hh.ctx.redis.hget(`${hh.prefix}:dl:msg:${id}`, 'j');

  it('delivers a batch once each, signed per message, with per-message outcomes', async () => {
    const rx = await receiver();
    const secret = generateSecret();
    await h.putEndpoint('plain', { url: rx.url, secrets: [secret] });
    const n = BATCH_SIZE * 2 + 7;
    const ids = Array.from({ length: n }, (_, i) => `b-${i}`);
    const res = await h.postMessages(ids.map((id, i) => ({ id, endpoint_id: 'plain', event_type: 'e.t', payload: { i } })));
    expect(res.accepted).toEqual(ids);
    await rx.waitFor((r) => r.length >= n);
    await sleep(200);
    expect(rx.received).toHaveLength(n);
    expect(new Set(rx.received.map((r) => r.id))).toEqual(new Set(ids));
    for (const got of rx.received) {
      const body = new StandardWebhook(secret).verify(got.body, flat(got)) as { data: { i: number } };
      expect(`b-${body.data.i}`).toBe(got.id);
    }
    for (const id of ids) {
      const msg = await h.waitForStatus(id, ['succeeded']);
      expect(msg.attempts).toEqual([expect.objectContaining({ n: 1, status_code: 204, error: null })]);
    }
    const ep = (await (await h.api('/v1/endpoints/plain')).json()) as { stats: { delivered: number } };
    expect(ep.stats.delivered).toBe(n);
    expect(new Set(await Promise.all(ids.map((id) => claimedBy(h, id))))).toEqual(new Set(['b~b-0~1', `b~b-${BATCH_SIZE}~1`, `b~b-${2 * BATCH_SIZE}~1`]));
    const delivered = h.realtime.published.filter((p) => p.event === 'integrations_delivery' && ids.includes((p.item as { message_id: string }).message_id));
    expect(delivered).toHaveLength(n);
    expect(delivered.every((p) => (p.item as { status: string }).status === 'succeeded')).toBe(true);
  });

  it('retries the failing messages of a batch on their own, on the schedule', async () => {
    const fail = new Set(['r-1', 'r-4']);
    const rx = await receiver((_q, _b, res, seen) => {
      const id = seen[seen.length - 1]!.id;
      const tries = seen.filter((s) => s.id === id).length;
      res.writeHead(fail.has(id) && tries < 3 ? 500 : 200).end();
    });
    await h.putEndpoint('partial', { url: rx.url, signing: 'none', retry_schedule_s: [1, 1] });
    const ids = ['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-5'];
    await h.postMessages(ids.map((id) => ({ id, endpoint_id: 'partial', event_type: 't', payload: {} })));
    for (const id of ids) {
      const msg = await h.waitForStatus(id, ['succeeded']);
      expect(msg.attempts.map((a: { status_code: number }) => a.status_code)).toEqual(fail.has(id) ? [500, 500, 200] : [200]);
      expect(msg.attempts.map((a: { n: number }) => a.n)).toEqual(fail.has(id) ? [1, 2, 3] : [1]);
    }
    for (const id of ids) {
      const got = rx.received.filter((r) => r.id === id);
      expect(got).toHaveLength(fail.has(id) ? 3 : 1);
      // 1 s ± 20% jitter between attempts
      for (let i = 1; i < got.length; i++) expect(got[i]!.at - got[i - 1]!.at).toBeGreaterThanOrEqual(700);
    }
    const retrying = h.realtime.published.filter((p) => p.event === 'integrations_delivery' && (p.item as { status: string }).status === 'retrying'
      && fail.has((p.item as { message_id: string }).message_id));
    expect(retrying).toHaveLength(4);
  });

  it('accepts duplicates across POSTs once and sends them once', async () => {
    const rx = await receiver(async (_q, _b, res) => {
      await sleep(100);
      res.writeHead(204).end();
    });
    await h.putEndpoint('dups', { url: rx.url, signing: 'none' });
    const m = (id: string) => ({ id, endpoint_id: 'dups', event_type: 't', payload: {} });
    const first = await h.postMessages([m('d-1'), m('d-2'), m('d-3')]);
    // While the first batch is in flight: the same messages in another grouping, and again.
    const second = await h.postMessages([m('d-2'), m('d-3'), m('d-4')]);
    const third = await h.postMessages([m('d-1'), m('d-2'), m('d-3')]);
    expect(first.accepted).toEqual(['d-1', 'd-2', 'd-3']);
    expect(second).toMatchObject({ accepted: ['d-4'], duplicates: ['d-2', 'd-3'] });
    expect(third).toMatchObject({ accepted: [], duplicates: ['d-1', 'd-2', 'd-3'] });
    for (const id of ['d-1', 'd-2', 'd-3', 'd-4']) await h.waitForStatus(id, ['succeeded']);
    await sleep(400);
    for (const id of ['d-1', 'd-2', 'd-3', 'd-4']) expect(rx.received.filter((r) => r.id === id)).toHaveLength(1);
  });

  describe('an endpoint that stops being plain after accept', () => {
    let hh: DeliveryHarness;
    let release: () => void = () => {};
    let blocker: TestReceiver;
    beforeAll(async () => {
      // One worker slot, held by a blocked delivery, so later messages wait in the queue.
      hh = await startDeliveryHarness({ env: { DELIVERY_CONCURRENCY: '1' } });
      blocker = await receiver(async (_q, _b, res) => {
        await new Promise<void>((ok) => (release = ok));
        res.writeHead(204).end();
      });
      await hh.putEndpoint('blocker', { url: blocker.url, signing: 'none' });
    });
    afterAll(async () => {
      release();
      await hh.close();
    });
    const block = async (id: string) => {
      await hh.postMessages([{ id, endpoint_id: 'blocker', event_type: 't', payload: {} }]);
      await blocker.waitFor((r) => r.some((x) => x.id === id));
    };

    it('holds the messages of an endpoint paused meanwhile', async () => {
      const rx = await receiver();
      await hh.putEndpoint('later-paused', { url: rx.url, signing: 'none' });
      await block('blk-1');
      await hh.postMessages(['p-1', 'p-2', 'p-3'].map((id) => ({ id, endpoint_id: 'later-paused', event_type: 't', payload: {} })));
      await hh.putEndpoint('later-paused', { url: rx.url, signing: 'none', enabled: false });
      release();
      await hh.waitForStatus('blk-1', ['succeeded']);
      await sleep(300);
      expect(rx.received).toHaveLength(0);
      for (const id of ['p-1', 'p-2', 'p-3']) expect((await hh.waitForStatus(id, ['pending'])).attempts).toHaveLength(0);
      await hh.putEndpoint('later-paused', { url: rx.url, signing: 'none', enabled: true });
      for (const id of ['p-1', 'p-2', 'p-3']) await hh.waitForStatus(id, ['succeeded']);
      expect(rx.received).toHaveLength(3);
    });

    it('keeps max_in_flight and the rate limit set meanwhile', async () => {
      let inFlight = 0;
      let peak = 0;
      const rx = await receiver(async (_q, _b, res) => {
        peak = Math.max(peak, ++inFlight);
        await sleep(40);
        inFlight--;
        res.writeHead(204).end();
      });
      await hh.putEndpoint('later-capped', { url: rx.url, signing: 'none' });
      await block('blk-2');
      const ids = Array.from({ length: 6 }, (_, i) => `c-${i}`);
      await hh.postMessages(ids.map((id) => ({ id, endpoint_id: 'later-capped', event_type: 't', payload: {} })));
      await hh.putEndpoint('later-capped', { url: rx.url, signing: 'none', max_in_flight: 1, rate_limit_per_s: 10 });
      release();
      for (const id of ids) await hh.waitForStatus(id, ['succeeded']);
      expect(peak).toBe(1);
      const at = rx.received.map((r) => r.at).sort((a, b) => a - b);
      expect(at[at.length - 1]! - at[0]!).toBeGreaterThanOrEqual(5 * 100 * 0.8);
    });

    it('hands messages of an endpoint made ordered meanwhile to single-message jobs', async () => {
      const rx = await receiver();
      await hh.putEndpoint('later-ordered', { url: rx.url, signing: 'none' });
      await block('blk-3');
      await hh.postMessages(['o-1', 'o-2'].map((id) => ({ id, endpoint_id: 'later-ordered', event_type: 't', payload: {} })));
      await hh.putEndpoint('later-ordered', { url: rx.url, signing: 'none', ordered: true });
      release();
      for (const id of ['o-1', 'o-2']) await hh.waitForStatus(id, ['succeeded']);
      expect(rx.received.map((r) => r.id).sort()).toEqual(['o-1', 'o-2']);
      for (const id of ['o-1', 'o-2']) expect(await claimedBy(hh, id)).toBeNull();
    });
  });
});
