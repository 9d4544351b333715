import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, type TestSidecar } from '../../test/helpers';
import { SseTestClient, WsTestClient } from '../../test/streams/clients';
import { hashToken } from './auth';

const TOKEN = 'stream-token-alpha-0123456789';
const OTHER = 'stream-token-beta-0123456789';

describe('streams: configuration, auth, resume', () => {
  let sc: TestSidecar;
  let n = 0;
  const fresh = () => `s${++n}`;
  const put = (stream: string, body: Record<string, unknown> = {}) =>
    sc.api(`/v1/streams/${stream}`, { method: 'PUT', json: { token_hashes: [hashToken(TOKEN)], ...body } });
  const publish = async (stream: string, count: number, from = 0): Promise<string[]> => {
    const res = await sc.api(`/v1/streams/${stream}/events`, {
      method: 'POST',
      json: { events: Array.from({ length: count }, (_, i) => ({ type: 'n', data: { n: from + i } })) },
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { ids: string[] }).ids;
  };
  const sse = (stream: string, q = '', headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    SseTestClient.open(`${sc.url}/v1/streams/${stream}/sse${q}`, headers);
  const ws = (stream: string, q = `?token=${TOKEN}`, headers: Record<string, string> = {}) => WsTestClient.open(`${sc.url}/v1/streams/${stream}/ws${q}`, headers);
  const metric = async (line: RegExp) => {
    const text = await (await fetch(`${sc.url}/metrics`)).text();
    return Number(line.exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    sc = await startTestSidecar({ STREAM_HEARTBEAT_MS: '200', STREAM_CLIENT_BUFFER_BYTES: String(64 * 1024) });
  });
  afterAll(() => sc.close());

  it('configures, reads, publishes to and deletes a stream; validates input', async () => {
    const s = fresh();
    expect((await sc.api(`/v1/streams/${s}/events`, { method: 'POST', json: { events: [{ type: 't', data: 1 }] } })).status).toBe(404);
    const bad = await sc.api(`/v1/streams/${s}`, { method: 'PUT', json: { token_hashes: ['nothex'] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('invalid_request');
    expect((await sc.api(`/v1/streams/${s}`, { method: 'PUT', json: { token_hashes: [], bogus: 1 } })).status).toBe(400);
    const res = await put(s, { max_len: 50, cors_origins: ['https://app.example'] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      stream: s, token_hashes: [{ hash: hashToken(TOKEN), expires_at: null }], max_len: 50, max_age_s: null, cors_origins: ['https://app.example'],
    });
    const ids = await publish(s, 3);
    expect(ids).toHaveLength(3);
    // An event id given twice is appended once; the second publish returns the first id.
    const once = await sc.api(`/v1/streams/${s}/events`, { method: 'POST', json: { events: [{ id: 'k1', type: 't', data: 1 }] } });
    const twice = await sc.api(`/v1/streams/${s}/events`, { method: 'POST', json: { events: [{ id: 'k1', type: 't', data: 2 }] } });
    expect(((await twice.json()) as any).ids).toEqual(((await once.json()) as any).ids);
    const view = (await (await sc.api(`/v1/streams/${s}`)).json()) as any;
    expect(view).toMatchObject({ length: 4, first_id: ids[0], clients: { sse: 0, ws: 0 } });
    expect((await sc.api(`/v1/streams/${s}/events`, { method: 'POST', json: { events: [{ type: 'a\nb', data: 1 }] } })).status).toBe(400);
    expect((await sc.api(`/v1/streams/${s}`, { method: 'DELETE' })).status).toBe(204);
    expect((await sc.api(`/v1/streams/${s}`)).status).toBe(404);
    expect((await fetch(`${sc.url}/v1/streams/${s}`, { method: 'PUT' })).status).toBe(401);
  });

  it('refuses a missing, wrong, revoked or expired token with 401 on SSE and WebSocket', async () => {
    const s = fresh();
    await put(s, { token_hashes: [hashToken(TOKEN), { hash: hashToken(OTHER), expires_at: new Date(Date.now() - 1000).toISOString() }] });
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Bearer ${OTHER}` }] as Array<Record<string, string>>) {
      const c = await sse(s, '', headers);
      expect(c.status).toBe(401);
      expect(c.json().error.code).toBe('stream_token_invalid');
    }
    for (const q of ['', '?token=wrong', `?token=${OTHER}`]) {
      const c = await ws(s, q);
      expect(c.status).toBe(401);
      expect(c.json().error.code).toBe('stream_token_invalid');
    }
    expect((await sse('nosuchstream')).status).toBe(401);
    // Accepted by query too; then revoked: the open subscriptions are closed, new ones refused.
    const a = await sse(s, `?token=${TOKEN}`, {});
    const b = await ws(s);
    expect([a.status, b.status]).toEqual([200, 101]);
    await put(s, { token_hashes: [hashToken(OTHER)] });
    await a.waitEnd();
    await b.waitEnd();
    expect(a.frames.at(-1)).toMatchObject({ event: 'error', data: { code: 'token_revoked' } });
    expect(b.closeCode).toBe(1008);
    expect((await sse(s)).status).toBe(401);
    expect((await ws(s)).status).toBe(401);
    expect((await ws(s, `?token=${OTHER}`)).status).toBe(101);
  });

  it('closes a subscription when its token expires while it is connected', async () => {
    const s = fresh();
    await put(s, { token_hashes: [{ hash: hashToken(TOKEN), expires_at: new Date(Date.now() + 1500).toISOString() }] });
    const a = await sse(s);
    const b = await ws(s);
    expect([a.status, b.status]).toEqual([200, 101]);
    await a.waitEnd();
    await b.waitEnd();
    expect(a.frames.at(-1)).toMatchObject({ event: 'error', data: { code: 'token_revoked' } });
    expect(b.closeCode).toBe(1008);
    expect((await sse(s)).status).toBe(401);
  });

  it('SSE: resuming after a dropped connection delivers exactly the missed events, in order', async () => {
    const s = fresh();
    await put(s);
    const c = await sse(s);
    await publish(s, 3, 0);
    await c.waitEvents(3);
    expect(c.events.map((e) => e.data.n)).toEqual([0, 1, 2]);
    const last = c.events.at(-1)!.id!;
    c.close();
    await publish(s, 5, 3);
    const viaHeader = await sse(s, '', { authorization: `Bearer ${TOKEN}`, 'last-event-id': last });
    const viaQuery = await sse(s, `?token=${TOKEN}&last_event_id=${last}`, {});
    await viaHeader.waitEvents(5);
    await viaQuery.waitEvents(5);
    await publish(s, 2, 8);
    await viaHeader.waitEvents(7);
    await viaQuery.waitEvents(7);
    for (const r of [viaHeader, viaQuery]) {
      expect(r.events.map((e) => e.data.n)).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(r.events.every((e) => e.event === 'n')).toBe(true);
    }
    expect(viaHeader.headers['content-type']).toMatch(/^text\/event-stream/);
    // Heartbeat comments keep an idle connection alive (STREAM_HEARTBEAT_MS = 200 here).
    await viaHeader.waitFor(() => viaHeader.comments >= 2, 'heartbeats');
    viaHeader.close();
    viaQuery.close();
  });

  it('WebSocket: resuming delivers exactly the missed events, in order, as JSON frames', async () => {
    const s = fresh();
    await put(s);
    const c = await ws(s);
    const first = await publish(s, 4, 0);
    await c.waitEvents(4);
    expect(c.events.map((e) => [e.id, e.event, e.data.n])).toEqual(first.map((id, i) => [id, 'n', i]));
    c.close();
    await publish(s, 6, 4);
    const r = await ws(s, `?token=${TOKEN}&last_event_id=${first[3]}`);
    await r.waitEvents(6);
    await publish(s, 1, 10);
    await r.waitEvents(7);
    expect(r.events.map((e) => e.data.n)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    r.close();
  });

  it('a resume point past the retention gets a reset, then everything kept: never a silent gap', async () => {
    const s = fresh();
    await put(s, { max_len: 10 });
    const ids = await publish(s, 250);
    const view = (await (await sc.api(`/v1/streams/${s}`)).json()) as any;
    expect(view.length).toBeLessThan(250);
    const a = await sse(s, '', { authorization: `Bearer ${TOKEN}`, 'last-event-id': ids[5]! });
    const b = await ws(s, `?token=${TOKEN}&last_event_id=${ids[5]}`);
    for (const c of [a, b]) {
      await c.waitEvents(view.length);
      expect(c.frames[0]).toMatchObject({ event: 'reset', data: { requested_id: ids[5], oldest_id: view.first_id } });
      expect(c.events.map((e) => e.id)).toEqual(ids.slice(250 - view.length));
      c.close();
    }
    // Within the retention: no reset.
    const c = await sse(s, `?token=${TOKEN}&last_event_id=${ids[247]}`, {});
    await c.waitEvents(2);
    expect(c.frames.map((f) => f.event)).toEqual(['n', 'n']);
    c.close();
  });

  it('cuts off consumers that do not keep up (SSE and WebSocket), with a reason, and counts the drops', async () => {
    // Pings every minute here, so a paused WebSocket is cut off for its buffer, not as a dead peer.
    const quiet = await startTestSidecar({ STREAM_HEARTBEAT_MS: '60000', STREAM_CLIENT_BUFFER_BYTES: String(64 * 1024),
      // The test reads the close frame only after it has seen the drops in /metrics: give it time on a loaded machine.
      STREAM_SLOW_CONSUMER_GRACE_MS: '30000' });
    try {
      const s = 'slow';
      await quiet.api(`/v1/streams/${s}`, { method: 'PUT', json: { token_hashes: [hashToken(TOKEN)], max_len: 20 } });
      const q = await WsTestClient.open(`${quiet.url}/v1/streams/${s}/ws?token=${TOKEN}`);
      // Stop reading: the socket's receive window fills, then the sidecar's send buffer.
      (q.ws as any)._socket.pause();
      const raw = connect(new URL(quiet.url).port ? Number(new URL(quiet.url).port) : 80, '127.0.0.1');
      raw.write(`GET /v1/streams/${s}/sse HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`);
      // `raw` has no data listener: it never reads a byte.
      await new Promise((r) => setTimeout(r, 200));
      const big = 'x'.repeat(64 * 1024);
      const drops = async () => {
        const text = await (await fetch(`${quiet.url}/metrics`)).text();
        return [...text.matchAll(/sidecar_stream_drops_total\{stream="slow",transport="(sse|ws)",reason="slow_consumer"\} (\d+)/g)].map((m) => `${m[1]}:${m[2]}`).sort();
      };
      for (let i = 0; i < 1000; i++) {
        await quiet.api(`/v1/streams/${s}/events`, { method: 'POST', json: { events: [{ type: 'big', data: big }] } });
        if (i % 20 === 19 && (await drops()).length === 2) break;
      }
      expect(await drops()).toEqual(['sse:1', 'ws:1']);
      const text = await (await fetch(`${quiet.url}/metrics`)).text();
      expect(text).toMatch(/sidecar_stream_clients\{stream="slow",transport="ws"\} 0/);
      expect(text).toMatch(/sidecar_stream_clients\{stream="slow",transport="sse"\} 0/);
      (q.ws as any)._socket.resume();
      await q.waitEnd();
      expect([q.closeCode, q.closeReason]).toEqual([4008, expect.stringContaining('slow consumer')]);
      raw.destroy();
    } finally {
      await quiet.close();
    }
  });

  it('CORS: an allowed Origin gets the headers, others are refused on SSE and WebSocket', async () => {
    const s = fresh();
    await put(s, { cors_origins: ['https://app.example'] });
    const pre = await fetch(`${sc.url}/v1/streams/${s}/sse`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-headers': 'authorization' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const ok = await sse(s, '', { authorization: `Bearer ${TOKEN}`, origin: 'https://app.example' });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    ok.close();
    const no = await sse(s, '', { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' });
    expect([no.status, no.json().error.code]).toEqual([403, 'origin_not_allowed']);
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
    const w = await ws(s, `?token=${TOKEN}`, { origin: 'https://evil.example' });
    expect([w.status, w.json().error.code]).toEqual([403, 'origin_not_allowed']);
    expect((await ws(s, `?token=${TOKEN}`, { origin: 'https://app.example' })).status).toBe(101);
  });

  it('reports subscribers per stream and transport, and events published, in /metrics', async () => {
    const s = fresh();
    await put(s);
    const a = await sse(s);
    const b = await ws(s);
    const c = await ws(s);
    await publish(s, 3);
    await c.waitEvents(3);
    expect(await metric(new RegExp(`sidecar_stream_clients\\{stream="${s}",transport="sse"\\} (\\d+)`))).toBe(1);
    expect(await metric(new RegExp(`sidecar_stream_clients\\{stream="${s}",transport="ws"\\} (\\d+)`))).toBe(2);
    expect(await metric(new RegExp(`sidecar_stream_events_published_total\\{stream="${s}"\\} (\\d+)`))).toBe(3);
    expect(await metric(new RegExp(`sidecar_stream_lag_events\\{stream="${s}"\\} (\\d+)`))).toBe(0);
    for (const x of [a, b, c]) x.close();
  });

  it('lists the connected consumers with their last event id and lag in GET /v1/streams/{stream}', async () => {
    const s = fresh();
    await put(s);
    const before = Date.now();
    const a = await sse(s);
    const b = await ws(s);
    const ids = await publish(s, 2);
    await a.waitEvents(2);
    await b.waitEvents(2);
    const view = (await (await sc.api(`/v1/streams/${s}`)).json()) as { stats: { clients: Array<Record<string, unknown>> } };
    const clients = view.stats.clients.sort((x, y) => String(x.transport).localeCompare(String(y.transport)));
    expect(clients.map((c) => [c.transport, c.last_event_id, c.lag])).toEqual([['sse', ids[1], 0], ['ws', ids[1], 0]]);
    for (const c of clients) expect(Date.parse(String(c.connected_at))).toBeGreaterThanOrEqual(before - 1000);
    a.close();
    b.close();
  });
});
