import { afterEach, describe, expect, it } from 'vitest';
import { startTestSidecar, type TestSidecar } from '../../../test/helpers';
import { FrappeStandin } from '../../../test/inbound/frappe-standin';
import { RemoteSource } from '../../../test/streams/remote-source-process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST = { min_backoff_ms: 100, max_backoff_ms: 1000 };

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Per remote event id, the distinct sidecar ids Frappe was sent it under (more than one: forwarded twice). */
function copies(frappe: FrappeStandin): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of frappe.received) {
    const s = out.get(e.provider_event_id) ?? new Set();
    s.add(e.sidecar_id);
    out.set(e.provider_event_id, s);
  }
  return out;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `e${i + 1}`);

describe('stream connectors', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const frappe = await new FrappeStandin().start();
    cleanups.push(() => frappe.close());
    const sc = await startTestSidecar({
      FRAPPE_URL: frappe.url, FRAPPE_API_KEY: 'k', FRAPPE_API_SECRET: 's', OUTBOUND_ALLOW_PRIVATE: 'true',
      STREAM_CONNECTOR_TICK_MS: '200', STREAM_CONNECTOR_LEASE_MS: '2000',
    });
    cleanups.push(() => sc.close());
    const put = await sc.api('/v1/inbound-endpoints/feed', { method: 'PUT', json: { provider: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } });
    expect(put.status).toBe(200);
    return { frappe, sc };
  }

  async function remote(transport: 'sse' | 'ws', count: number, resume = true) {
    const r = await new RemoteSource(transport, count, 25, resume).start();
    cleanups.push(() => r.kill());
    return r;
  }

  const status = async (sc: TestSidecar, id: string) => (await (await sc.api(`/v1/stream-connectors/${id}`)).json()) as {
    status: { state: string; forwarded: number; duplicates: number; holder: string; resume_id: string | null };
    history: Array<{ at: string; reason: string; attempt: number }>;
  };

  for (const transport of ['sse', 'ws'] as const) {
    it(`${transport}: survives the remote being killed and restarted mid-stream, resumes, and forwards each event once`, { timeout: 60_000 }, async () => {
      const { frappe, sc } = await setup();
      const src = await remote(transport, 80);
      const body = transport === 'sse'
        ? { url: src.url, transport, inbound_endpoint: 'feed', event_type_field: 'type', ...FAST }
        : { url: src.url, transport, inbound_endpoint: 'feed', event_id_field: 'id', event_type_field: 'type', resume_param: 'since', ...FAST };
      const put = await sc.api('/v1/stream-connectors/orders', { method: 'PUT', json: body });
      expect(put.status).toBe(200);
      await until('20 events in Frappe', () => frappe.stored.size >= 20);
      await src.kill();
      await until('the drop recorded', async () => (await status(sc, 'orders')).history.length >= 1);
      await sleep(300);
      await src.start();
      await until('80 events in Frappe', () => frappe.stored.size >= 80);
      await sleep(300);

      // SSE ids are the event numbers; WebSocket resumes on the event id field.
      const eventIds = transport === 'sse' ? ids(80).map((e) => e.slice(1)) : ids(80);
      expect([...frappe.stored.values()].map((e) => e.provider_event_id).sort()).toEqual([...eventIds].sort());
      for (const [, sent] of copies(frappe)) expect(sent.size).toBe(1);
      const stored = [...frappe.stored.values()];
      expect(stored.every((e) => e.slug === 'feed' && e.provider === 'standard' && e.event_type === 'order.created')).toBe(true);
      expect(JSON.parse(stored[0]!.payload)).toMatchObject({ type: 'order.created' });
      expect(stored[0]!.headers['x-stream-connector']).toBe('orders');

      // The reconnect after the restart resumed after the last event stored, not from the start.
      expect(src.connects.length).toBeGreaterThanOrEqual(2);
      expect(src.connects[0]!.resume).toBeNull();
      const resumedAt = src.connects.at(-1)!.resume!;
      expect(resumedAt).not.toBeNull();
      expect(Number(resumedAt.replace(/^e/, ''))).toBeGreaterThanOrEqual(20);

      const s = await status(sc, 'orders');
      expect(s.status).toMatchObject({ state: 'connected', forwarded: 80, duplicates: 0 });
      expect(s.history[0]).toMatchObject({ attempt: expect.any(Number), reason: expect.any(String) });
      expect(Date.parse(s.history[0]!.at)).toBeGreaterThan(0);
    });
  }

  it('dedups on the event id: a source that replays from the start on reconnect forwards nothing twice', { timeout: 60_000 }, async () => {
    const { frappe, sc } = await setup();
    const src = await remote('ws', 40, false);
    await sc.api('/v1/stream-connectors/replayer', {
      method: 'PUT', json: { url: src.url, transport: 'ws', inbound_endpoint: 'feed', event_id_field: 'id', ...FAST },
    });
    await until('15 events', () => frappe.stored.size >= 15);
    await src.kill();
    await sleep(300);
    await src.start();
    await until('40 events', () => frappe.stored.size >= 40);
    await until('replayed events counted as duplicates', async () => (await status(sc, 'replayer')).status.duplicates >= 15);
    expect(src.connects.map((c) => c.resume)).toEqual([null, null]);
    for (const [, sent] of copies(frappe)) expect(sent.size).toBe(1);
    expect(frappe.stored.size).toBe(40);
    const s = await status(sc, 'replayer');
    expect(s.status.forwarded).toBe(40);
    // The type field was not configured: a WebSocket message's type is "message".
    expect([...frappe.stored.values()][0]!.event_type).toBe('message');
  });

  it('injects the auth of an Integration Connection on the same origin, and refuses one on another origin', { timeout: 30_000 }, async () => {
    const { frappe, sc } = await setup();
    const src = await remote('sse', 5);
    const conn = await sc.api('/v1/connections/acme', {
      method: 'PUT', json: { base_url: `http://127.0.0.1:${src.port}`, auth: { type: 'bearer', token: 'remote-secret-token' } },
    });
    expect(conn.status).toBeLessThan(300);
    const put = await sc.api('/v1/stream-connectors/authed', {
      method: 'PUT', json: { url: src.url, transport: 'sse', inbound_endpoint: 'feed', connection_id: 'acme', ...FAST },
    });
    expect(put.status).toBe(200);
    const view = JSON.stringify(await put.json());
    expect(view).not.toContain('remote-secret-token');
    await until('5 events', () => frappe.stored.size >= 5);
    expect(src.connects[0]!.auth).toBe('Bearer remote-secret-token');

    const elsewhere = await sc.api('/v1/stream-connectors/leak', {
      method: 'PUT', json: { url: 'http://127.0.0.2:9/events', transport: 'sse', inbound_endpoint: 'feed', connection_id: 'acme' },
    });
    expect(elsewhere.status).toBe(400);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toMatch(/origin/);
  });

  it('refuses bad configs with 400 and the field at fault; GET and DELETE of an unknown connector are 404', async () => {
    const { sc } = await setup();
    const base = { url: 'http://example.com/events', transport: 'sse', inbound_endpoint: 'feed' };
    const cases: Array<[unknown, string]> = [
      [{ ...base, url: 'ftp://example.com/x' }, 'body.url'],
      [{ ...base, url: 'not a url' }, 'body.url'],
      [{ ...base, transport: 'ws' }, 'body.url'],
      [{ ...base, url: 'ws://example.com/x', transport: 'ws' }, 'body.event_id_field'],
      [{ ...base, resume_param: 'since' }, 'body.resume_param'],
      [{ ...base, url: 'http://user:pw@example.com/x' }, 'body.url'],
      [{ ...base, event_id_field: 'a..b' }, 'body.event_id_field'],
      [{ ...base, inbound_endpoint: '../x' }, 'body.inbound_endpoint'],
      [{ ...base, extra: 1 }, 'body'],
      [{ ...base, min_backoff_ms: 5000, max_backoff_ms: 1000 }, 'body.max_backoff_ms'],
    ];
    for (const [json, path] of cases) {
      const r = await sc.api('/v1/stream-connectors/bad', { method: 'PUT', json });
      expect(r.status, JSON.stringify(json)).toBe(400);
      const err = ((await r.json()) as { error: { code: string; details: Array<{ path: string }> } }).error;
      expect(err.code).toBe('invalid_request');
      expect(err.details[0]!.path).toBe(path);
    }
    // A private address is refused like a webhook URL's (the test sidecar allows private ones: not this one).
    const strict = await startTestSidecar({ STREAM_CONNECTOR_TICK_MS: '200' });
    cleanups.push(() => strict.close());
    const ssrf = await strict.api('/v1/stream-connectors/meta', { method: 'PUT', json: { ...base, url: 'http://169.254.169.254/latest' } });
    expect(ssrf.status).toBe(400);
    expect(((await ssrf.json()) as { error: { message: string } }).error.message).toMatch(/metadata/);
    expect((await sc.api('/v1/stream-connectors/bad')).status).toBe(404);
    expect((await sc.api('/v1/stream-connectors/bad', { method: 'DELETE' })).status).toBe(404);
  });

  it('a deleted connector lets go of the remote connection', { timeout: 30_000 }, async () => {
    const { frappe, sc } = await setup();
    const src = await remote('sse', 1000);
    await sc.api('/v1/stream-connectors/gone', { method: 'PUT', json: { url: src.url, transport: 'sse', inbound_endpoint: 'feed', ...FAST } });
    await until('some events', () => frappe.stored.size >= 3);
    expect((await sc.api('/v1/stream-connectors/gone', { method: 'DELETE' })).status).toBe(204);
    await sleep(500);
    const n = frappe.received.length;
    await sleep(1000);
    expect(frappe.received.length).toBe(n);
    expect((await sc.api('/v1/stream-connectors/gone')).status).toBe(404);
  });
});
