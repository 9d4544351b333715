import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyRing } from '../secrets/keyring';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections/harness';
import { startPeer, type TestPeer } from '../../test/connections/peer';

const json = (res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('connections proxy', () => {
  let h: ConnectionsHarness;
  let peer: TestPeer;
  beforeAll(async () => {
    h = await startConnectionsHarness();
    peer = await startPeer();
  });
  afterAll(async () => {
    await h.close();
    await peer.close();
  });
  beforeEach(() => {
    peer.requests.length = 0;
    peer.handler = (_q, res) => json(res, 200, { ok: true });
  });

  const conn = (auth: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ base_url: `${peer.url}/api/v1/`, auth, ...extra });

  it('injects an API key header, keeps secrets out of GET, and passes the answer back', async () => {
    const view = await h.put('key-h', conn({ type: 'api_key', name: 'X-Api-Key', value: 'sk_live_h3ader' }, { headers: { 'Stripe-Version': '2024-06-20' } }));
    expect(JSON.stringify(view)).not.toContain('sk_live_h3ader');
    expect(view).toMatchObject({ status: 'connected', auth: { type: 'api_key', value: '[redacted]' }, headers: { 'Stripe-Version': '[redacted]' } });
    peer.handler = (_q, res) => json(res, 201, { id: 're_1' }, { 'x-request-id': 'abc' });
    const r = await h.proxy('key-h', { method: 'POST', path: '/refunds', query: { expand: ['a', 'b'] }, body: { amount: 5 }, headers: { 'x-api-key': 'caller-override' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 201, body: '{"id":"re_1"}', body_encoding: 'utf8', attempts: 1, headers: { 'x-request-id': 'abc' } });
    const got = peer.requests[0]!;
    expect(got).toMatchObject({ method: 'POST', url: '/api/v1/refunds?expand=a&expand=b', body: '{"amount":5}' });
    expect(got.headers).toMatchObject({ 'x-api-key': 'sk_live_h3ader', 'stripe-version': '2024-06-20', 'content-type': 'application/json' });
    const stored = JSON.stringify(await h.ctx.redis.hgetall(`${h.prefix}:cn:conn:key-h`));
    expect(stored).not.toContain('sk_live_h3ader');
    expect(stored).not.toContain('2024-06-20');
  });

  it('injects a query API key, bearer and basic credentials', async () => {
    await h.put('key-q', conn({ type: 'api_key', in: 'query', name: 'api_key', value: 'q-s3cret' }));
    await h.proxy('key-q', { method: 'GET', path: '/x', query: { api_key: 'caller' } });
    expect(peer.requests.at(-1)!.url).toBe('/api/v1/x?api_key=q-s3cret');
    await h.put('bearer', conn({ type: 'bearer', token: 'b-s3cret' }));
    await h.proxy('bearer', { method: 'GET', path: '/x', headers: { Authorization: 'Bearer caller' } });
    expect(peer.requests.at(-1)!.headers.authorization).toBe('Bearer b-s3cret');
    await h.put('basic', conn({ type: 'basic', username: 'u', password: 'p-s3cret' }));
    await h.proxy('basic', { method: 'DELETE', path: '/x' });
    expect(peer.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('u:p-s3cret').toString('base64')}`);
  });

  it('returns binary bodies as base64 and refuses bodies over the cap', async () => {
    await h.put('bin', conn({ type: 'bearer', token: 't' }, { max_response_bytes: 2048 }));
    peer.handler = (_q, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0, 1, 2, 255]));
    expect((await h.proxy('bin', { method: 'GET', path: '/img' })).body).toMatchObject({ body: 'AAEC/w==', body_encoding: 'base64' });
    peer.handler = (_q, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5000));
    const r = await h.proxy('bin', { method: 'GET', path: '/big' });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'response_too_large', details: { status: 200, max_response_bytes: 2048 } });
  });

  it('refuses paths that could leave the base URL', async () => {
    await h.put('paths', conn({ type: 'bearer', token: 't' }));
    for (const path of ['//evil.example/x', '/a/../../admin', '/a?x=1', 'relative', '/a/%2e%2e/b']) {
      expect((await h.proxy('paths', { method: 'GET', path })).status).toBe(400);
    }
    expect(peer.requests).toHaveLength(0);
  });

  it('waits for Retry-After on a 429 and then succeeds', async () => {
    await h.put('r429', conn({ type: 'bearer', token: 't' }));
    peer.handler = (_q, res, seen) => (seen.length === 1 ? json(res, 429, { error: 'slow down' }, { 'retry-after': '1' }) : json(res, 200, { ok: 1 }));
    const r = await h.proxy('r429', { method: 'GET', path: '/x' });
    expect(r.body).toMatchObject({ status: 200, attempts: 2 });
    expect(peer.requests[1]!.at - peer.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500 then passes the 200 back', async () => {
    await h.put('r500', conn({ type: 'bearer', token: 't' }));
    peer.handler = (_q, res, seen) => (seen.length === 1 ? json(res, 500, { e: 1 }) : json(res, 200, { ok: 1 }));
    expect((await h.proxy('r500', { method: 'GET', path: '/x' })).body).toMatchObject({ status: 200, attempts: 2 });
  });

  it('times out a hang with a typed error, retrying an idempotent call first', async () => {
    await h.put('hang', conn({ type: 'bearer', token: 't' }, { timeout_ms: 300, max_attempts: 2 }));
    peer.handler = () => {};
    const r = await h.proxy('hang', { method: 'GET', path: '/x' });
    expect(r.status).toBe(504);
    expect(r.body.error).toMatchObject({ code: 'timeout', details: { timeout_ms: 300, attempts: 2 } });
    expect(peer.requests).toHaveLength(2);
  });

  it('reports a connection reset as upstream_error after the retries', async () => {
    await h.put('reset', conn({ type: 'bearer', token: 't' }, { max_attempts: 2 }));
    peer.handler = (_q, res) => void res.socket!.destroy();
    const r = await h.proxy('reset', { method: 'GET', path: '/x' });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'upstream_error', details: { kind: 'reset', attempts: 2 } });
    expect(peer.requests).toHaveLength(2);
  });

  it('does not retry a failed POST without an idempotency key; does with one', async () => {
    await h.put('post', conn({ type: 'bearer', token: 't' }));
    peer.handler = (_q, res) => json(res, 500, { error: 'boom' });
    const once = await h.proxy('post', { method: 'POST', path: '/charges', body: { a: 1 } });
    expect(once.body).toMatchObject({ status: 500, attempts: 1, body: '{"error":"boom"}' });
    expect(peer.requests).toHaveLength(1);
    peer.handler = (_q, res) => void res.socket!.destroy();
    expect((await h.proxy('post', { method: 'POST', path: '/charges', body: { a: 1 } })).body.error).toMatchObject({ code: 'upstream_error', details: { attempts: 1 } });
    expect(peer.requests).toHaveLength(2);
    peer.requests.length = 0;
    peer.handler = (_q, res, seen) => (seen.length === 1 ? json(res, 503, {}) : json(res, 200, { ok: 1 }));
    const keyed = await h.proxy('post', { method: 'POST', path: '/charges', body: { a: 1 }, idempotency_key: 'order-42' });
    expect(keyed.body).toMatchObject({ status: 200, attempts: 2 });
    expect(peer.requests.map((q) => q.headers['idempotency-key'])).toEqual(['order-42', 'order-42']);
  });

  it('opens the breaker after N consecutive failures, refuses without calling, then half-opens and closes', async () => {
    await h.put('brk', conn({ type: 'bearer', token: 't' }, { max_attempts: 1, breaker: { failure_threshold: 3, cooldown_s: 0.5 } }));
    peer.handler = (_q, res) => json(res, 500, {});
    for (let i = 0; i < 3; i++) expect((await h.proxy('brk', { method: 'GET', path: '/x' })).body.status).toBe(500);
    const refused = await h.api('/v1/connections/brk/proxy', { method: 'POST', json: { method: 'GET', path: '/x' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as any).error.code).toBe('circuit_open');
    expect(peer.requests).toHaveLength(3);
    expect(await h.metrics()).toMatch(/sidecar_connection_breaker_state\{connection="brk"\} 2/);
    expect(((await (await h.api('/v1/connections/brk')).json()) as any).circuit).toMatchObject({ state: 'open', failures: 3 });

    // After the cool-down one probe goes through; it fails, so the breaker opens again.
    await expect.poll(async () => (await h.proxy('brk', { method: 'GET', path: '/x' })).body.status, { timeout: 3000, interval: 100 }).toBe(500);
    expect(peer.requests).toHaveLength(4);
    expect((await h.proxy('brk', { method: 'GET', path: '/x' })).body.error.code).toBe('circuit_open');
    // The next probe succeeds and closes it.
    peer.handler = (_q, res) => json(res, 200, { ok: 1 });
    await expect.poll(async () => (await h.proxy('brk', { method: 'GET', path: '/x' })).body.status, { timeout: 3000, interval: 100 }).toBe(200);
    expect(((await (await h.api('/v1/connections/brk')).json()) as any).circuit).toMatchObject({ state: 'closed', failures: 0 });
    expect((await h.proxy('brk', { method: 'GET', path: '/x' })).body.status).toBe(200);
    expect(await h.metrics()).toMatch(/sidecar_connection_breaker_state\{connection="brk"\} 0/);
  });

  it('rate-limits per connection, waiting for a slot within max_wait_ms and refusing beyond it', async () => {
    await h.put('rl', conn({ type: 'bearer', token: 't' }, { rate_limit_per_s: 10, max_wait_ms: 250 }));
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => h.proxy('rl', { method: 'GET', path: '/x' })));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body.error.code).toBe('rate_limited');
    const times = peer.requests.map((q) => q.at).sort((a, b) => a - b);
    // The k-th admitted call never leaves before its slot t0 + k·100 ms (it may leave late).
    times.forEach((t, k) => expect(t - t0).toBeGreaterThanOrEqual(k * 100 - 10));
  });

  it('counts calls per connection in /metrics without any secret in labels', async () => {
    const text = await h.metrics();
    expect(text).toMatch(/sidecar_connection_calls_total\{connection="key-h",result="2xx"\} 1/);
    expect(text).toMatch(/sidecar_connection_calls_total\{connection="hang",result="timeout"\} 1/);
    expect(text).toMatch(/sidecar_connection_call_seconds_count\{connection="r500"\} 1/);
    for (const s of ['sk_live_h3ader', 'q-s3cret', 'b-s3cret', 'p-s3cret']) expect(text).not.toContain(s);
  });

  it('404s an unknown connection (standalone: no Frappe to ask)', async () => {
    expect((await h.proxy('nope', { method: 'GET', path: '/x' })).body.error.code).toBe('not_found');
  });

  it('refuses private destinations unless allowed (SSRF guard at connect time)', async () => {
    const strict = await startConnectionsHarness({ env: { OUTBOUND_ALLOW_PRIVATE: 'false' } });
    try {
      await strict.put('local', { base_url: peer.url.replace('127.0.0.1', 'localhost'), auth: { type: 'bearer', token: 't' } });
      const r = await strict.proxy('local', { method: 'GET', path: '/x' });
      expect(r.status).toBe(502);
      expect(r.body.error).toMatchObject({ code: 'upstream_error', details: { kind: 'ssrf' } });
      await strict.put('literal', { base_url: peer.url, auth: { type: 'bearer', token: 't' } });
      expect((await strict.proxy('literal', { method: 'POST', path: '/x' })).body.error.details.kind).toBe('ssrf');
      expect(peer.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('checks the origin of a connection moved by PUT before its next call (the check is kept per loaded copy)', async () => {
    const strict = await startConnectionsHarness({ env: { OUTBOUND_ALLOW_PRIVATE: 'false', OUTBOUND_ALLOW_HOSTS: 'localhost' } });
    try {
      await strict.put('moved', { base_url: peer.url.replace('127.0.0.1', 'localhost'), auth: { type: 'bearer', token: 't' } });
      for (let i = 0; i < 3; i++) expect((await strict.proxy('moved', { method: 'GET', path: '/x' })).body.status).toBe(200);
      expect(peer.requests).toHaveLength(3);
      // Same port, now as an IP literal that is not allowed: refused before any request leaves.
      await strict.put('moved', { base_url: peer.url, auth: { type: 'bearer', token: 't' } });
      const r = await strict.proxy('moved', { method: 'GET', path: '/x' });
      expect(r.status).toBe(502);
      expect(r.body.error).toMatchObject({ code: 'upstream_error', details: { kind: 'ssrf' } });
      expect(peer.requests).toHaveLength(3);
    } finally {
      await strict.close();
    }
  });
});

describe('connections under a key ring that cannot open them', () => {
  it('answers secrets_unreadable naming the key, never garbage or a credential', async () => {
    const a = await startConnectionsHarness();
    // Same key id, other key material (a wrong key file) — and a ring without that id at all.
    const b = await startConnectionsHarness({ prefix: a.prefix });
    const c = await startConnectionsHarness({ prefix: a.prefix, ring: new KeyRing([{ id: 'other', key: randomBytes(32) }]) });
    try {
      await a.put('sealed', { base_url: 'https://api.example/', auth: { type: 'bearer', token: 'tok-s3cret' } });
      const wrong = await b.proxy('sealed', { method: 'GET', path: '/x' });
      expect(wrong.status).toBe(500);
      expect(wrong.body.error).toMatchObject({ code: 'secrets_unreadable', details: { reason: 'authentication_failed', key_id: 't1' } });
      const missing = await c.proxy('sealed', { method: 'GET', path: '/x' });
      expect(missing.body.error).toMatchObject({ code: 'secrets_unreadable', details: { reason: 'unknown_key', key_id: 't1' } });
      expect(missing.body.error.message).toContain('same SECRETS_KEYS');
      for (const r of [wrong, missing]) expect(JSON.stringify(r.body)).not.toContain('tok-s3cret');
    } finally {
      await c.close();
      await b.close();
      await a.close();
    }
  });
});
