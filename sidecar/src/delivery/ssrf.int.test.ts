import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../test/http-receiver';
import { createSender, type SenderOptions } from './send';
import type { Resolver } from './ssrf';

/** The guard on the real send path, against a real receiver on 127.0.0.1. */
describe('SSRF guard on send', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(async () => {
    await r.close();
  });

  async function sendOnce(url: string, opts: Partial<SenderOptions> = {}) {
    const sender = createSender({ allowPrivate: false, allowHosts: [], ...opts });
    try {
      return await sender.send({ url, headers: {}, body: '{}', timeoutMs: 2000 });
    } finally {
      await sender.close();
    }
  }

  /** The receiver must not even have been connected to. */
  async function expectRefused(url: string, opts: Partial<SenderOptions> = {}) {
    const before = r.connections();
    const res = await sendOnce(url, opts);
    expect(res).toMatchObject({ statusCode: null, responseBody: null, error: { kind: 'ssrf' } });
    expect(r.connections()).toBe(before);
    return res;
  }

  it('refuses a loopback IP literal by default', async () => {
    const res = await expectRefused(`${r.url}/hook`);
    expect(res.error?.message).toBe('refused to connect to 127.0.0.1: loopback');
  });

  it.each([
    (port: number) => `http://2130706433:${port}/`,
    (port: number) => `http://0177.0.0.1:${port}/`,
    (port: number) => `http://0x7f.1:${port}/`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/`,
    (port: number) => `http://[::ffff:7f00:1]:${port}/`,
  ])('refuses numeric and mapped spellings of loopback (%#)', async (url) => {
    await expectRefused(url(r.port));
  });

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const res = await expectRefused(`http://localhost:${r.port}/`);
    expect(res.error?.message).toMatch(/^refused to connect to localhost \((127\.0\.0\.1|::1)\): loopback$/);
  });

  it('allows loopback with allowPrivate', async () => {
    expect(await sendOnce(r.url, { allowPrivate: true })).toMatchObject({ statusCode: 200, error: null });
  });

  it('allows an allow-listed IP literal, and only that one', async () => {
    expect(await sendOnce(r.url, { allowHosts: ['127.0.0.1'] })).toMatchObject({ statusCode: 200, error: null });
    await expectRefused(r.url, { allowHosts: ['127.0.0.2'] });
  });

  it('allows an allow-listed host name to resolve to loopback', async () => {
    expect(await sendOnce(`http://localhost:${r.port}/`, { allowHosts: ['localhost'] })).toMatchObject({
      statusCode: 200,
    });
  });

  it('connects to the address the guard resolved, not a second lookup', async () => {
    const resolve: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const res = await sendOnce(`http://hooks.test:${r.port}/x`, { allowHosts: ['hooks.test'], resolve });
    expect(res).toMatchObject({ statusCode: 200 });
    expect(r.requests.at(-1)?.headers.host).toBe(`hooks.test:${r.port}`);
  });

  it('DNS rebinding: public when validated, loopback at connect time → refused', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    // What a validate-then-fetch design would have checked when the endpoint was saved:
    expect(await rebinding('rebind.test')).toEqual([{ address: '93.184.216.34', family: 4 }]);
    const res = await expectRefused(`http://rebind.test:${r.port}/`, { resolve: rebinding });
    expect(res.error?.message).toBe('refused to connect to rebind.test (127.0.0.1): loopback');
  });
});
