import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../test/http-receiver';
import { freePort } from '../../test/local-server';
import { createSender, type Sender } from './send';

/** Loopback receivers need the guard off; the guard itself is tested in ssrf.int.test.ts. */
const open = { allowPrivate: true, allowHosts: [] };
const body = JSON.stringify({ type: 'ping', timestamp: '2024-01-01T00:00:00Z', data: { n: 1 } });

let receiver: Receiver | undefined;
let sender: Sender | undefined;
afterEach(async () => {
  await sender?.close();
  await receiver?.close();
  sender = receiver = undefined;
});

async function setup(handler: Parameters<typeof startReceiver>[0], opts = open) {
  receiver = await startReceiver(handler);
  sender = createSender(opts);
  return { r: receiver, s: sender };
}

const post = (s: Sender, url: string, extra: Partial<Parameters<Sender['send']>[0]> = {}) =>
  s.send({ url, headers: { 'content-type': 'application/json' }, body, timeoutMs: 2000, ...extra });

describe('createSender', () => {
  it('POSTs the exact bytes and headers, returns status and body', async () => {
    const { r, s } = await setup((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks'));
    const res = await post(s, `${r.url}/hooks/in?x=1`, {
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
      body: Buffer.from(body),
    });
    expect(res).toMatchObject({ statusCode: 200, responseBody: 'thanks', retryAfterMs: null, error: null });
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.requests).toHaveLength(1);
    const got = r.requests[0]!;
    expect(got).toMatchObject({ method: 'POST', url: '/hooks/in?x=1' });
    expect(got.body.toString()).toBe(body);
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'integrations-app-sidecar',
    });
  });

  it("keeps the caller's user-agent, in any case", async () => {
    const { r, s } = await setup(undefined);
    await post(s, r.url, { headers: { 'User-Agent': 'custom/1' } });
    expect(r.requests[0]!.headers['user-agent']).toBe('custom/1');
  });

  it('reports a 500 as a status, not an error', async () => {
    const { r, s } = await setup((_, res) => res.writeHead(500).end('boom'));
    expect(await post(s, r.url)).toMatchObject({ statusCode: 500, responseBody: 'boom', error: null });
  });

  it('does not follow redirects', async () => {
    const { r, s } = await setup((req, res) =>
      req.url === '/start' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.end('followed'),
    );
    expect(await post(s, `${r.url}/start`)).toMatchObject({ statusCode: 302, error: null });
    expect(r.requests.map((q) => q.url)).toEqual(['/start']);
  });

  it('returns 429 with Retry-After in ms', async () => {
    const { r, s } = await setup((_, res) => res.writeHead(429, { 'retry-after': '7' }).end());
    expect(await post(s, r.url)).toMatchObject({ statusCode: 429, retryAfterMs: 7000, responseBody: '', error: null });
  });

  it('times out a receiver that never answers, close to timeoutMs', async () => {
    const { r, s } = await setup(() => {});
    const res = await post(s, r.url, { timeoutMs: 300 });
    expect(res).toMatchObject({ statusCode: null, responseBody: null, error: { kind: 'timeout' } });
    expect(res.durationMs).toBeGreaterThanOrEqual(290);
    expect(res.durationMs).toBeLessThan(1000);
  });

  it('reports a destroyed connection as a reset', async () => {
    const { r, s } = await setup((_, _res, socket) => socket.destroy());
    expect(await post(s, r.url)).toMatchObject({ statusCode: null, error: { kind: 'reset' } });
  });

  it('reports a closed port as connect', async () => {
    const port = await freePort();
    sender = createSender(open);
    const res = await post(sender, `http://127.0.0.1:${port}/`);
    expect(res).toMatchObject({ statusCode: null, error: { kind: 'connect', message: expect.stringContaining('ECONNREFUSED') } });
  });

  it('reports resolver failures as dns', async () => {
    sender = createSender({
      ...open,
      resolve: async (h) => {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
      },
    });
    expect(await post(sender, 'http://nowhere.invalid/')).toMatchObject({ error: { kind: 'dns' } });
  });

  it.each([
    ['not a url', 'not a valid URL'],
    ['ftp://example.com/x', 'unsupported scheme ftp:'],
    ['file:///etc/passwd', 'unsupported scheme file:'],
    ['http://user:hunter2@example.com/', 'credentials in the URL are not supported'],
  ])('refuses %s as invalid_url', async (url, message) => {
    sender = createSender(open);
    const res = await post(sender, url);
    expect(res).toEqual({ statusCode: null, durationMs: expect.any(Number), responseBody: null, retryAfterMs: null, error: { kind: 'invalid_url', message } });
  });

  it('keeps request header values out of error messages', async () => {
    const { r, s } = await setup(undefined);
    const res = await post(s, r.url, { headers: { authorization: 'Bearer sk_live_secret\r\nx: y' } });
    expect(res.error?.kind).toBe('other');
    expect(res.error?.message).not.toContain('sk_live_secret');
    expect(r.requests).toHaveLength(0);
  });

  it('reuses keep-alive connections for sequential requests', async () => {
    const { r, s } = await setup(undefined);
    for (let i = 0; i < 50; i++) expect((await post(s, r.url)).statusCode).toBe(200);
    expect(r.requests).toHaveLength(50);
    // undici may dispatch the next request a tick before the previous socket is marked free,
    // so a strictly sequential caller alternates between two sockets; never one per request.
    expect(r.connections()).toBeLessThanOrEqual(2);
  });

  it('caps an endless fast body, returns promptly and drops the connection', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    const { r, s } = await setup((req, res) => {
      if (req.url === '/small') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (written < 50 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const res = await post(s, r.url, { maxResponseBytes: 10_000, timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res).toMatchObject({ statusCode: 200, error: null });
    expect(res.responseBody).toHaveLength(10_000);
    expect(written).toBeLessThan(50 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
    // The cut connection is gone, not poisoned: the next request to the origin works.
    expect(await post(s, `${r.url}/small`)).toMatchObject({ statusCode: 200, responseBody: 'ok' });
  });

  it('caps a slow endless body without waiting for the deadline', async () => {
    const { r, s } = await setup((_, res) => {
      res.writeHead(200);
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x'.repeat(1000))), 5);
    });
    const res = await post(s, r.url, { maxResponseBytes: 5000, timeoutMs: 5000 });
    expect(res).toMatchObject({ statusCode: 200, error: null });
    expect(res.responseBody).toHaveLength(5000);
    expect(res.durationMs).toBeLessThan(1000);
  });

  it('keeps the status and partial body when the deadline cuts a stalled body', async () => {
    const { r, s } = await setup((_, res) => {
      res.writeHead(503, { 'retry-after': '30' });
      res.write('partial');
    });
    const res = await post(s, r.url, { timeoutMs: 300 });
    expect(res).toMatchObject({ statusCode: 503, responseBody: 'partial', retryAfterMs: 30_000, error: null });
    expect(res.durationMs).toBeLessThan(1000);
  });

  it('sends many requests concurrently', async () => {
    const { r, s } = await setup(undefined);
    const results = await Promise.all(Array.from({ length: 200 }, () => post(s, r.url)));
    expect(results.every((x) => x.statusCode === 200)).toBe(true);
    expect(r.requests).toHaveLength(200);
  });
});
