import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, TEST_REDIS_URL, type TestSidecar } from '../../test/helpers';
import { SseTestClient } from '../../test/streams/clients';
import { outboxStream } from '../delivery/outbox-consumer';
import { FrappeClient } from '../frappe/client';
import { hashToken } from './auth';

const TOKEN = 'outbox-stream-token-0123456789';
const ACK = 'integrations_app.api.sidecar.acknowledge_messages';
const REPORT = 'integrations_app.api.sidecar.report_deliveries';

/** A stand-in Frappe site recording the whitelisted calls the sidecar makes. */
function recordingFrappe() {
  const calls: Array<{ method: string; body: Record<string, any> }> = [];
  const client = new FrappeClient({
    url: 'http://frappe.test', apiKey: 'k', apiSecret: 's',
    fetch: async (input, init) => {
      calls.push({ method: String(input).split('/api/method/')[1]!, body: JSON.parse(String(init?.body)) as Record<string, any> });
      return Response.json({ message: {} });
    },
  });
  return { client, calls };
}

const message = (id: string, stream: string, name: string) => ({ id, stream_id: stream, event_type: 'Customer.after_insert', timestamp: '2026-01-15T09:00:00.000Z', payload: { name } });

describe('streams fed from the outbox', () => {
  const frappe = recordingFrappe();
  const site = `iatest-${randomBytes(4).toString('hex')}.localhost`;
  const frappeRedis = new Redis(TEST_REDIS_URL);
  let sc: TestSidecar;

  beforeAll(async () => {
    sc = await startTestSidecar({ FRAPPE_REDIS_URL: TEST_REDIS_URL, FRAPPE_SITE: site }, { frappe: frappe.client });
    await sc.api('/v1/streams/customers', { method: 'PUT', json: { token_hashes: [hashToken(TOKEN)] } });
  });
  afterAll(async () => {
    await sc.close();
    await frappeRedis.del(outboxStream(site));
    frappeRedis.disconnect();
  });

  it('appends a stream message once however often it is handed over, and reports it like a delivered message', async () => {
    const sub = await SseTestClient.open(`${sc.url}/v1/streams/customers/sse?token=${TOKEN}`);
    const rows = [message('m1', 'customers', 'C-1'), message('m2', 'customers', 'C-2'), message('m3', 'nostream', 'C-3')];
    // The hand-off twice (a sidecar crash before its XDEL, or Frappe's re-push), then over HTTP.
    await frappeRedis.xadd(outboxStream(site), '*', 'm', JSON.stringify(rows));
    await frappeRedis.xadd(outboxStream(site), '*', 'm', JSON.stringify(rows));
    await sub.waitEvents(2);
    const res = await sc.api('/v1/messages', { method: 'POST', json: { messages: rows.slice(0, 2) } });
    expect(await res.json()).toEqual({ accepted: [], duplicates: ['m1', 'm2'], rejected: [] });

    const deadline = Date.now() + 10_000;
    const reported = () => frappe.calls.filter((c) => c.method === REPORT).flatMap((c) => c.body.outcomes as Array<Record<string, any>>);
    const rejected = () => frappe.calls.filter((c) => c.method === ACK).flatMap((c) => c.body.rejected as Array<Record<string, any>>);
    while ((reported().length < 6 || rejected().length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Each hand-off (2) and the POST reported m1 and m2 succeeded, with their stream instead of an endpoint.
    expect(reported().map((o) => `${o.message_id}:${o.stream_id}:${o.status}`).sort()).toEqual(
      ['m1', 'm1', 'm1', 'm2', 'm2', 'm2'].map((id) => `${id}:customers:succeeded`),
    );
    expect(rejected().map((r) => `${r.id}:${r.code}`)).toEqual(['m3:stream_not_found', 'm3:stream_not_found']);

    await new Promise((r) => setTimeout(r, 300));
    expect(sub.events.map((e) => [e.event, e.data])).toEqual([
      ['Customer.after_insert', { name: 'C-1' }],
      ['Customer.after_insert', { name: 'C-2' }],
    ]);
    const view = (await (await sc.api('/v1/streams/customers')).json()) as { length: number };
    expect(view.length).toBe(2);
    sub.close();

    // Frappe's hourly reconcile looks its in-flight rows up: stream messages are found, final.
    const lookup = await (await sc.api('/v1/messages/lookup', { method: 'POST', json: { ids: ['m1', 'm2', 'm3', 'never'] } })).json();
    expect(lookup).toEqual({ found: { m1: 'succeeded', m2: 'succeeded' }, missing: ['m3', 'never'] });
    const one = (await (await sc.api('/v1/messages/m1')).json()) as Record<string, unknown>;
    expect(one).toMatchObject({ id: 'm1', stream_id: 'customers', event_type: 'Customer.after_insert', status: 'succeeded', attempts: [], next_attempt_at: null });
    expect(Date.parse(String(one.accepted_at))).toBeGreaterThan(0);
    const replay = await sc.api('/v1/messages/m1/replay', { method: 'POST' });
    expect(replay.status).toBe(409);
    expect((await sc.api('/v1/messages/m3')).status).toBe(404);
  });

  it('takes exactly one of endpoint_id, stream_id and sync_profile_id', async () => {
    for (const m of [
      { id: 'x1', endpoint_id: 'ep', stream_id: 'customers', event_type: 't', payload: 1 },
      { id: 'x2', event_type: 't', payload: 1 },
      { id: 'x3', stream_id: 'customers', sync_profile_id: 'p', event_type: 't', payload: 1 },
    ]) {
      const res = await sc.api('/v1/messages', { method: 'POST', json: { messages: [m] } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.details[0].message).toMatch(/exactly one of endpoint_id, stream_id and sync_profile_id/);
    }
  });
});
