import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from './sign';
import { startDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import { startReceiver, type TestReceiver } from '../../test/delivery/receiver';

describe('outbound API', () => {
  let h: DeliveryHarness;
  let rx: TestReceiver;
  let failing = false;
  beforeAll(async () => {
    h = await startDeliveryHarness();
    rx = await startReceiver((_q, _b, res) => void res.writeHead(failing ? 500 : 204).end());
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
  });

  it('never returns secrets: GET and PUT show a redacted prefix', async () => {
    const secret = generateSecret();
    const put = await h.putEndpoint('redact', { url: rx.url, secrets: [secret, { value: 'whsec_' + Buffer.alloc(32, 7).toString('base64'), expires_at: '2030-01-01T00:00:00Z' }] });
    const get = await (await h.api('/v1/endpoints/redact')).text();
    for (const text of [JSON.stringify(put), get]) {
      expect(text).not.toContain(secret.slice(6));
      expect(text).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    }
    expect(JSON.parse(get)).toMatchObject({
      id: 'redact', status: 'active', secrets: [{ prefix: `${secret.slice(0, 8)}…`, expires_at: null }, { expires_at: '2030-01-01T00:00:00.000Z' }],
      stats: { delivered: 0, failed: 0, consecutive_failures: 0, last_success_at: null, first_failure_at: null, disabled_reason: null },
    });
  });

  it('rejects invalid endpoint configs with 400 and details', async () => {
    const cases: unknown[] = [
      { url: 'ftp://x.example/' },
      { url: 'http://x.example/', signing: 'standard', secrets: ['not-base64!'] },
      { url: 'http://x.example/', secrets: [] },
      { url: 'http://x.example/', signing: 'none', retry_schedule_s: [-1] },
      { url: 'http://x.example/', signing: 'none', retry_schedule_s: Array(21).fill(1) },
      { url: 'http://x.example/', signing: 'none', rate_limit_per_s: 0 },
      { url: 'http://x.example/', signing: 'none', headers: { 'webhook-signature': 'x' } },
      { url: 'http://x.example/', signing: 'none', surprise: true },
    ];
    for (const json of cases) {
      const res = await h.api('/v1/endpoints/bad', { method: 'PUT', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const body = (await res.json()) as { error: { code: string; details: unknown[] } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.details.length).toBeGreaterThan(0);
    }
    expect((await h.api('/v1/endpoints/bad:id', { method: 'PUT', json: { url: rx.url, signing: 'none' } })).status).toBe(400);
  });

  it('answers malformed, non-JSON and oversized message posts with JSON errors', async () => {
    const bad = await h.api('/v1/messages', { method: 'POST', json: { messages: [{ id: 'x' }] } });
    expect(bad.status).toBe(400);
    const many = await h.api('/v1/messages', { method: 'POST', json: { messages: Array.from({ length: 1001 }, (_, i) => ({ id: `m${i}`, endpoint_id: 'e', event_type: 't', payload: 1 })) } });
    expect(many.status).toBe(400);
    const form = await h.api('/v1/messages', { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const huge = await h.api('/v1/messages', { method: 'POST', json: { messages: [{ id: 'big', endpoint_id: 'e', event_type: 't', payload: 'x'.repeat(6 * 1024 * 1024) }] } });
    expect(huge.status).toBe(413);
    for (const r of [bad, many, form, huge]) expect(((await r.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
  });

  it('accepts a message once, rejects unknown endpoints and unsubscribed types', async () => {
    await h.putEndpoint('idem', { url: rx.url, signing: 'none', event_types: ['a.b'] });
    const first = await h.postMessages([
      { id: 'dup-1', endpoint_id: 'idem', event_type: 'a.b', payload: 1 },
      { id: 'dup-1', endpoint_id: 'idem', event_type: 'a.b', payload: 1 },
      { id: 'nope-1', endpoint_id: 'missing', event_type: 'a.b', payload: 1 },
      { id: 'type-1', endpoint_id: 'idem', event_type: 'c.d', payload: 1 },
    ]);
    expect(first.accepted).toEqual(['dup-1']);
    expect(first.duplicates).toEqual(['dup-1']);
    expect(first.rejected).toEqual([
      { id: 'nope-1', code: 'endpoint_not_found', message: expect.any(String) },
      { id: 'type-1', code: 'event_type_not_subscribed', message: expect.any(String) },
    ]);
    await h.waitForStatus('dup-1', ['succeeded']);
    const again = await h.postMessages([{ id: 'dup-1', endpoint_id: 'idem', event_type: 'a.b', payload: 1 }]);
    expect(again).toMatchObject({ accepted: [], duplicates: ['dup-1'] });
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.received.filter((r) => r.id === 'dup-1')).toHaveLength(1);
  });

  it('looks messages up and lists an endpoint’s recent messages', async () => {
    const look = await (await h.api('/v1/messages/lookup', { method: 'POST', json: { ids: ['dup-1', 'ghost'] } })).json();
    expect(look).toEqual({ found: { 'dup-1': 'succeeded' }, missing: ['ghost'] });
    const list = (await (await h.api('/v1/endpoints/idem/messages?status=succeeded&limit=5')).json()) as { messages: unknown[] };
    expect(list.messages).toEqual([expect.objectContaining({ id: 'dup-1', status: 'succeeded', attempts: 1, last_status_code: 204 })]);
    expect((await h.api('/v1/endpoints/idem/messages?status=weird')).status).toBe(400);
    expect((await h.api('/v1/messages/ghost')).status).toBe(404);
  });

  it('replays a finished message as a new attempt, and refuses an unfinished one', async () => {
    await h.postMessages([{ id: 'rep-1', endpoint_id: 'idem', event_type: 'a.b', payload: 1 }]);
    await h.waitForStatus('rep-1', ['succeeded']);
    const res = await h.api('/v1/messages/rep-1/replay', { method: 'POST' });
    expect(res.status).toBe(202);
    await rx.waitFor((r) => r.filter((x) => x.id === 'rep-1').length === 2);
    const msg = await h.waitForStatus('rep-1', ['succeeded']);
    expect(msg.attempts.map((a: { n: number }) => a.n)).toEqual([1, 2]);
    expect((await h.api('/v1/messages/ghost/replay', { method: 'POST' })).status).toBe(404);
  });

  it('recovers failed messages since a time', async () => {
    await h.putEndpoint('rec', { url: rx.url, signing: 'none', retry_schedule_s: [] });
    const since = new Date().toISOString();
    failing = true;
    await h.postMessages(['r1', 'r2', 'r3'].map((id) => ({ id, endpoint_id: 'rec', event_type: 't', payload: id })));
    for (const id of ['r1', 'r2', 'r3']) await h.waitForStatus(id, ['failed']);
    failing = false;
    const res = await h.api('/v1/endpoints/rec/recover', { method: 'POST', json: { since } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ requeued: 3 });
    for (const id of ['r1', 'r2', 'r3']) await h.waitForStatus(id, ['succeeded']);
    const again = await h.api('/v1/endpoints/rec/recover', { method: 'POST', json: { since } });
    expect(await again.json()).toEqual({ requeued: 0 });
    expect((await h.api('/v1/endpoints/nope/recover', { method: 'POST', json: { since } })).status).toBe(404);
    expect((await h.api('/v1/endpoints/rec/recover', { method: 'POST', json: { since: 'yesterday' } })).status).toBe(400);
  });

  it('holds messages of a paused endpoint until it is resumed', async () => {
    await h.putEndpoint('pause', { url: rx.url, signing: 'none', enabled: false });
    expect(((await (await h.api('/v1/endpoints/pause')).json()) as { status: string }).status).toBe('paused');
    await h.postMessages(['p1', 'p2'].map((id) => ({ id, endpoint_id: 'pause', event_type: 't', payload: id })));
    await new Promise((r) => setTimeout(r, 400));
    expect(rx.received.filter((r) => r.id === 'p1' || r.id === 'p2')).toHaveLength(0);
    expect((await h.waitForStatus('p1', ['pending'])).attempts).toHaveLength(0);
    await h.putEndpoint('pause', { url: rx.url, signing: 'none', enabled: true });
    for (const id of ['p1', 'p2']) await h.waitForStatus(id, ['succeeded']);
  });

  it('deleting an endpoint cancels its held messages', async () => {
    await h.putEndpoint('gone', { url: rx.url, signing: 'none', enabled: false });
    await h.postMessages([{ id: 'g1', endpoint_id: 'gone', event_type: 't', payload: 1 }]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.api('/v1/endpoints/gone', { method: 'DELETE' })).status).toBe(204);
    const msg = await h.waitForStatus('g1', ['cancelled']);
    expect(msg.attempts[0].error).toBe('endpoint deleted');
    expect((await h.api('/v1/endpoints/gone')).status).toBe(404);
    expect((await h.api('/v1/endpoints/gone', { method: 'DELETE' })).status).toBe(404);
  });
});
