import { beforeAll, describe, expect, it } from 'vitest';
import { useDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msgs = (prefix: string, ep: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${String(i).padStart(3, '0')}`, endpoint_id: ep, event_type: 't', payload: { i } }));

describe('per-endpoint limits, ordering and fairness', () => {
  const fx = useDeliveryHarness();
  const { receiver } = fx;
  let h: DeliveryHarness;
  beforeAll(() => void (h = fx.h));

  it('spaces deliveries by the rate limit', async () => {
    const rx = await receiver();
    await h.putEndpoint('rate', { url: rx.url, signing: 'none', rate_limit_per_s: 10 });
    await h.postMessages(msgs('rate', 'rate', 15));
    await rx.waitFor((r) => r.length === 15, 5000);
    const at = rx.received.map((r) => r.at).sort((a, b) => a - b);
    // Arrival times carry the HTTP path's jitter (a send can land 20+ ms late and the next one on
    // time), so single gaps are not the limiter's spacing. What 10/s guarantees is that any 11
    // consecutive deliveries span at least 10 intervals = 1 s; allow 100 ms of jitter.
    const spans = at.slice(10).map((t, i) => t - at[i]!);
    expect(Math.min(...spans)).toBeGreaterThanOrEqual(900);
    expect(at[14]! - at[0]!).toBeGreaterThanOrEqual(1300);
  });

  it('never has more than max_in_flight requests open to an endpoint', async () => {
    let open = 0;
    let peak = 0;
    const rx = await receiver(async (_q, _b, res) => {
      peak = Math.max(peak, ++open);
      await sleep(150);
      open--;
      res.writeHead(204).end();
    });
    await h.putEndpoint('mif', { url: rx.url, signing: 'none', max_in_flight: 3 });
    await h.postMessages(msgs('mif', 'mif', 15));
    await rx.waitFor((r) => r.length === 15, 10_000);
    expect(peak).toBe(3);
  });

  it('ordered: a failing head holds back later messages of that endpoint only, then order is kept', async () => {
    let failures = 0;
    const rx = await receiver((_q, body, res) => {
      const { data } = JSON.parse(body) as { data: { i: number } };
      if (data.i === 0 && failures < 2) {
        failures++;
        return void res.writeHead(500).end();
      }
      res.writeHead(204).end();
    });
    const other = await receiver();
    await h.putEndpoint('fifo', { url: rx.url, signing: 'none', ordered: true, retry_schedule_s: [1, 1] });
    await h.putEndpoint('free', { url: other.url, signing: 'none' });
    await h.postMessages(msgs('fifo', 'fifo', 8));
    await h.postMessages(msgs('free', 'free', 3));
    await other.waitFor((r) => r.length === 3);
    await sleep(300);
    // The head is between retries: nothing behind it has been sent.
    expect(rx.received.map((r) => r.id)).toEqual(['fifo000']);
    await rx.waitFor((r) => r.length === 10, 10_000);
    expect(rx.received.map((r) => r.id)).toEqual(['fifo000', 'fifo000', 'fifo000', ...msgs('fifo', 'fifo', 8).slice(1).map((m) => m.id)]);
    for (const m of msgs('fifo', 'fifo', 8)) await h.waitForStatus(m.id, ['succeeded']);
  });

  it('ordered: when the head fails for good, the next message is promoted', async () => {
    const rx = await receiver((_q, body, res) => {
      const { data } = JSON.parse(body) as { data: { i: number } };
      res.writeHead(data.i === 0 ? 500 : 204).end();
    });
    await h.putEndpoint('fifo2', { url: rx.url, signing: 'none', ordered: true, retry_schedule_s: [] });
    await h.postMessages(msgs('ff', 'fifo2', 4));
    await h.waitForStatus('ff000', ['failed']);
    await rx.waitFor((r) => r.length === 4);
    expect(rx.received.map((r) => r.id)).toEqual(['ff000', 'ff001', 'ff002', 'ff003']);
  });

  it('fairness: a slow endpoint at its max_in_flight does not delay a fast one', async () => {
    const slow = await receiver(async (_q, _b, res) => {
      await sleep(2000);
      res.writeHead(204).end();
    });
    const fast = await receiver();
    await h.putEndpoint('slow', { url: slow.url, signing: 'none', max_in_flight: 2 });
    await h.putEndpoint('fast', { url: fast.url, signing: 'none' });
    await h.postMessages(msgs('slow', 'slow', 200));
    await sleep(100);
    const started = Date.now();
    await h.postMessages(msgs('fast', 'fast', 300));
    await fast.waitFor((r) => r.length === 300, 5000);
    const took = Date.now() - started;
    expect(took).toBeLessThan(1500);
    expect(slow.received.length).toBeLessThanOrEqual(4);
    // The receiver sees a request before the sidecar records its outcome: let the last finish land.
    const delivered = async () => ((await (await h.api('/v1/endpoints/fast')).json()) as { stats: { delivered: number } }).stats.delivered;
    for (let i = 0; i < 20 && (await delivered()) < 300; i++) await sleep(25);
    expect(await delivered()).toBe(300);
  });
});
