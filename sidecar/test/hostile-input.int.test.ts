import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/observability/logger';
import { startTestSidecar, type TestSidecar } from './helpers';
import { endlessBody, rawRequest, stalledBody } from './raw-http';

const json = { 'content-type': 'application/json' };
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const ghSign = (body: string | Buffer) => `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`;

/** Log lines as parsed JSON, to check what reached which level. */
function captureLog() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

describe('hostile and malformed input', () => {
  let sc: TestSidecar;
  const log = captureLog();
  beforeAll(async () => {
    sc = await startTestSidecar({ BODY_TIMEOUT_MS: '1500', INBOUND_BODY_BUDGET_BYTES: String(1024 * 1024) }, { logger: log.logger });
    // Paused: messages are stored and held, never sent anywhere.
    expect((await sc.api('/v1/endpoints/ep', { method: 'PUT', json: { url: 'https://hooks.example.com/x', signing: 'none', enabled: false } })).status).toBe(200);
    expect((await sc.api('/v1/inbound-endpoints/gh', { method: 'PUT', json: { provider: 'github', secret: 'gh-secret' } })).status).toBe(200);
  });
  afterAll(async () => {
    await sc.close();
  });

  it('rejects just the over-deep message of a batch and stores the rest', async () => {
    const msg = (id: string) => `{"id":"${id}","endpoint_id":"ep","event_type":"t","payload":{"n":1}}`;
    const body = `{"messages":[${msg('m-ok-1')},{"id":"m-deep","endpoint_id":"ep","event_type":"t","payload":${deep(5000)}},${msg('m-ok-2')}]}`;
    const res = await sc.api('/v1/messages', { method: 'POST', body, headers: json });
    expect(res.status).toBe(202);
    const out = (await res.json()) as { accepted: string[]; rejected: Array<{ id: string; code: string }> };
    expect(out.accepted).toEqual(['m-ok-1', 'm-ok-2']);
    expect(out.rejected).toEqual([expect.objectContaining({ id: 'm-deep', code: 'payload_too_deep' })]);
    expect((await sc.api('/v1/messages/m-ok-2')).status).toBe(200);
    expect((await sc.api('/v1/messages/m-deep')).status).toBe(404);
  });

  it('refuses an over-deep body outside a batch item with 400 on every route', async () => {
    const put = await sc.api('/v1/endpoints/ep2', { method: 'PUT', body: `{"url":"https://h.example.com","headers":{"a":${deep(5000)}}}`, headers: json });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const body = `{"action":${deep(5000)}}`;
    const inbound = await fetch(`${sc.url}/v1/inbound/gh`, {
      method: 'POST', body, headers: { ...json, 'x-hub-signature-256': ghSign(body), 'x-github-delivery': 'd-deep', 'x-github-event': 'issues' },
    });
    expect(inbound.status).toBe(400);
    expect(log.lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('answers a malformed percent-escape with 400 on public and authenticated routes, logged at debug only', async () => {
    const before = log.lines.length;
    const pub = await fetch(`${sc.url}/v1/inbound/%E0%A4%A`, { method: 'POST', body: '{}', headers: json });
    expect(pub.status).toBe(400);
    expect(((await pub.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    for (const path of ['/v1/messages/%E0%A4%A', '/v1/inbound-endpoints/%E0%A4%A', '/v1/endpoints/%E0%A4%A']) {
      expect((await sc.api(path)).status, path).toBe(400);
    }
    const lines = log.lines.slice(before);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'malformed percent-escape in the path')).toHaveLength(4);
  });

  it('answers content-encoding gzip with a body that is not gzip with 400, and still takes real gzip', async () => {
    const body = JSON.stringify({ messages: [{ id: 'm-gz', endpoint_id: 'ep', event_type: 't', payload: {} }] });
    const bad = await sc.api('/v1/messages', { method: 'POST', body: 'this is not gzip', headers: { ...json, 'content-encoding': 'gzip' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const good = await sc.api('/v1/messages', { method: 'POST', body: gzipSync(body), headers: { ...json, 'content-encoding': 'gzip' } });
    expect(good.status).toBe(202);
  });

  it.each([
    ['401 without a token', '/v1/messages', 401],
    ['404 for an unknown slug', '/v1/inbound/no-such-slug', 404],
    ['404 for an unknown route', '/nowhere', 404],
  ])('stops reading an endless body after a %s and closes the connection', async (_what, path, status) => {
    const r = await endlessBody(sc.url, path, json);
    expect(r.response?.status).toBe(status);
    expect(r.closedByServer).toBe(true);
    // What the kernel buffers on both ends, not what a server draining the body would take.
    expect(r.written).toBeLessThan(16 * 1024 * 1024);
  });

  it('answers a body that stalls past BODY_TIMEOUT_MS with 408 and closes the connection (public and API routes)', async () => {
    const inbound = stalledBody(sc.url, '/v1/inbound/gh', { ...json, 'x-github-delivery': 'd1', 'x-github-event': 'e', 'x-hub-signature-256': 'sha256=00' }, 1000, Buffer.from('{"a":'));
    const api = stalledBody(sc.url, '/v1/messages', { ...json, authorization: `Bearer ${sc.token}` }, 1000, Buffer.from('{"messages":'));
    for (const s of [inbound, api]) {
      const res = await s.response;
      expect(res.status).toBe(408);
      expect(res.body).toContain('request_timeout');
      expect(res.closed).toBe(true);
    }
  });

  it('refuses bodies past the inbound byte budget with 503 and Retry-After, and takes them again once it frees', async () => {
    const headers = { ...json, 'x-github-delivery': 'd2', 'x-github-event': 'e', 'x-hub-signature-256': 'sha256=00' };
    // Holds 900 kB of the 1 MiB budget: declared, then stalled.
    const hog = stalledBody(sc.url, '/v1/inbound/gh', headers, 900_000, Buffer.from('{"a":'));
    hog.response.catch(() => {});
    const held = async () => Number(/^sidecar_inbound_body_bytes (\d+)/m.exec(await (await fetch(`${sc.url}/metrics`)).text())?.[1]);
    await expect.poll(held).toBe(900_000);
    const body = Buffer.alloc(500_000, 0x20);
    const refused = await fetch(`${sc.url}/v1/inbound/gh`, { method: 'POST', body, headers });
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    hog.socket.destroy();
    await expect.poll(held).toBe(0);
    expect((await fetch(`${sc.url}/v1/inbound/gh`, { method: 'POST', body, headers })).status).toBe(401);
  });

  it('refuses . and .. as endpoint and message ids and inbound slugs', async () => {
    const auth = { authorization: `Bearer ${sc.token}`, ...json };
    const cfg = JSON.stringify({ url: 'https://hooks.example.com/x', signing: 'none' });
    for (const id of ['.', '..', '%2E', '%2E%2E']) {
      expect((await rawRequest(sc.url, 'PUT', `/v1/endpoints/${id}`, auth, cfg)).status, `endpoint ${id}`).toBe(400);
      expect((await rawRequest(sc.url, 'PUT', `/v1/inbound-endpoints/${id}`, auth, JSON.stringify({ provider: 'github', secret: 's' }))).status, `slug ${id}`).toBe(400);
      expect((await rawRequest(sc.url, 'GET', `/v1/messages/${id}`, auth)).status, `message ${id}`).toBe(400);
    }
    for (const id of ['.', '..']) {
      const res = await sc.api('/v1/messages', { method: 'POST', json: { messages: [{ id, endpoint_id: 'ep', event_type: 't', payload: 1 }] } });
      expect(res.status, `message id ${id}`).toBe(400);
    }
  });
});
