import { beforeAll, describe, expect, it } from 'vitest';
import { startDeliveryHarness, useDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import { startReceiver, type ReceiverHandler } from '../../test/delivery/receiver';
import { RESPONSE_BODY_BYTES } from './worker';

describe('delivery outcomes against misbehaving receivers', () => {
  const fx = useDeliveryHarness();
  const { receiver } = fx;
  let h: DeliveryHarness;
  beforeAll(() => void (h = fx.h));
  let seq = 0;
  /** A fresh endpoint on its own receiver, and one message to it. */
  const deliverOne = async (handler: ReceiverHandler, endpoint: Record<string, unknown> = {}) => {
    const rx = await receiver(handler);
    const id = `m${++seq}`;
    await h.putEndpoint(`ep${seq}`, { url: rx.url, signing: 'none', retry_schedule_s: [], ...endpoint });
    await h.postMessages([{ id, endpoint_id: `ep${seq}`, event_type: 't', payload: { seq } }]);
    return { rx, id, ep: `ep${seq}` };
  };

  it('retries a 500 on the schedule, then succeeds', async () => {
    const { rx, id } = await deliverOne((_q, _b, res, seen) => void res.writeHead(seen.length < 3 ? 500 : 200).end(), { retry_schedule_s: [0, 1, 5] });
    const msg = await h.waitForStatus(id, ['succeeded']);
    expect(msg.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(msg.next_attempt_at).toBeNull();
    expect(rx.received).toHaveLength(3);
    expect(rx.received[2]!.at - rx.received[1]!.at).toBeGreaterThanOrEqual(700);
  });

  it('ends failed when the schedule is exhausted, with the receiver’s answer kept', async () => {
    const { id } = await deliverOne((_q, _b, res) => void res.writeHead(500).end('boom'), { retry_schedule_s: [0] });
    const msg = await h.waitForStatus(id, ['failed']);
    expect(msg.attempts).toHaveLength(2);
    expect(msg.attempts[1]).toMatchObject({ n: 2, status_code: 500, response_body: 'boom' });
  });

  it('waits for Retry-After on 429 (longer than the schedule)', async () => {
    const { rx, id } = await deliverOne(
      (_q, _b, res, seen) => void (seen.length === 1 ? res.writeHead(429, { 'retry-after': '2' }).end() : res.writeHead(204).end()),
      { retry_schedule_s: [0] },
    );
    const pending = await h.waitForStatus(id, ['retrying']);
    expect(Date.parse(pending.next_attempt_at) - Date.parse(pending.attempts[0].at)).toBeGreaterThanOrEqual(2000);
    await h.waitForStatus(id, ['succeeded']);
    expect(rx.received[1]!.at - rx.received[0]!.at).toBeGreaterThanOrEqual(1900);
  });

  it('times out a receiver that never answers', async () => {
    const { id } = await deliverOne(() => undefined, { timeout_ms: 300 });
    const msg = await h.waitForStatus(id, ['failed']);
    expect(msg.attempts[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/^timeout/) });
    expect(msg.attempts[0].duration_ms).toBeGreaterThanOrEqual(290);
  });

  it('records a reset connection as a network error', async () => {
    const { id } = await deliverOne((req) => void req.socket.destroy());
    const msg = await h.waitForStatus(id, ['failed']);
    expect(msg.attempts[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/^(reset|other)/) });
  });

  it('does not follow a redirect and counts it as a failure', async () => {
    const target = await receiver();
    const { rx, id } = await deliverOne((_q, _b, res) => void res.writeHead(302, { location: target.url }).end());
    const msg = await h.waitForStatus(id, ['failed']);
    expect(msg.attempts[0]).toMatchObject({ status_code: 302, error: 'redirect 302 not followed' });
    expect(rx.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
  });

  it('caps a huge streamed response body', async () => {
    const { id } = await deliverOne((_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent >= 200) res.end();
        else res.once('drain', pump);
      };
      pump();
    });
    const msg = await h.waitForStatus(id, ['succeeded']);
    expect(msg.attempts[0].response_body.length).toBeLessThanOrEqual(RESPONSE_BODY_BYTES);
  });

  it('410 Gone disables the endpoint and later messages fail without being sent', async () => {
    const { rx, ep, id } = await deliverOne((_q, _b, res) => void res.writeHead(410).end(), { retry_schedule_s: [5] });
    await h.waitForStatus(id, ['failed']);
    const view = (await (await h.api(`/v1/endpoints/${ep}`)).json()) as Record<string, any>;
    expect(view.status).toBe('disabled');
    expect(view.stats).toMatchObject({ failed: 1, disabled_reason: 'receiver answered 410 Gone' });
    expect(h.realtime.published).toContainEqual({ event: 'integrations_endpoint_disabled', item: { endpoint_id: ep, reason: 'receiver answered 410 Gone' } });
    await h.postMessages([{ id: `${id}-after`, endpoint_id: ep, event_type: 't', payload: {} }]);
    const after = await h.waitForStatus(`${id}-after`, ['failed']);
    expect(after.attempts[0].error).toBe('endpoint disabled: receiver answered 410 Gone');
    expect(rx.received).toHaveLength(1);
  });

  it('publishes every outcome on realtime with the request headers', async () => {
    const { id } = await deliverOne((_q, _b, res) => void res.writeHead(200).end());
    await h.waitForStatus(id, ['succeeded']);
    const item = h.realtime.published.find((p) => p.event === 'integrations_delivery' && (p.item as { message_id: string }).message_id === id);
    expect(item?.item).toMatchObject({ status: 'succeeded', attempt: { n: 1, status_code: 200, request_headers: { 'webhook-id': id } }, next_attempt_at: null });
  });
});

describe('SSRF guard in the worker', () => {
  it('fails a message to a name that resolves to loopback at once when private addresses are not allowed', async () => {
    const h = await startDeliveryHarness({ env: { OUTBOUND_ALLOW_PRIVATE: 'false' } });
    const rx = await startReceiver();
    try {
      // A literal loopback IP is refused at PUT already; a name is judged when connecting.
      await h.putEndpoint('private', { url: rx.url.replace('127.0.0.1', 'localhost'), signing: 'none' });
      await h.postMessages([{ id: 'ssrf-1', endpoint_id: 'private', event_type: 't', payload: {} }]);
      const msg = await h.waitForStatus('ssrf-1', ['failed']);
      expect(msg.attempts).toHaveLength(1);
      expect(msg.attempts[0].error).toMatch(/^ssrf: /);
      expect(rx.received).toHaveLength(0);
    } finally {
      await h.close();
      await rx.close();
    }
  });
});

describe('an unexpected processor error', () => {
  it('is retried by BullMQ, and when those retries are used up the message ends failed (never stuck sending)', async () => {
    let calls = 0;
    const h = await startDeliveryHarness({
      delivery: {
        jobBackoffMs: 10,
        sender: {
          send: async () => {
            calls++;
            throw new Error('sender exploded');
          },
          close: async () => {},
        },
      },
    });
    try {
      await h.putEndpoint('boom', { url: 'http://127.0.0.1:9/', signing: 'none' });
      await h.postMessages([{ id: 'boom-1', endpoint_id: 'boom', event_type: 't', payload: {} }]);
      const msg = await h.waitForStatus('boom-1', ['failed'], 10_000);
      expect(calls).toBe(5); // JOB_OPTIONS.attempts
      expect(msg.attempts.at(-1).error).toBe('internal error: sender exploded');
      expect(msg.next_attempt_at).toBeNull();
      const endpoint = (await (await h.api('/v1/endpoints/boom')).json()) as { stats: { failed: number } };
      expect(endpoint.stats.failed).toBe(1);
    } finally {
      await h.close();
    }
  });
});
