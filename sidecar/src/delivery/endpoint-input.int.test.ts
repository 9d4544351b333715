import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import { startReceiver, type TestReceiver } from '../../test/delivery/receiver';

type ErrorBody = { error: { code: string; message: string; details?: Array<{ path: string; message: string }> } };

describe('endpoint input checked at PUT', () => {
  let h: DeliveryHarness;
  let strict: DeliveryHarness;
  let allowListed: DeliveryHarness;
  let rx: TestReceiver;
  beforeAll(async () => {
    rx = await startReceiver();
    h = await startDeliveryHarness();
    strict = await startDeliveryHarness({ env: { OUTBOUND_ALLOW_PRIVATE: 'false' } });
    allowListed = await startDeliveryHarness({ env: { OUTBOUND_ALLOW_PRIVATE: 'false', OUTBOUND_ALLOW_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => {
    await Promise.all([h.close(), strict.close(), allowListed.close()]);
    await rx.close();
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['CR LF', 'a\r\nX-Injected: 1'],
    ['a bare LF', 'a\nb'],
    ['a control character', 'a\u0001b'],
    ['a character above U+00FF', 'token \u20ac'],
    ['an emoji', 'key \u{1F511}'],
  ])('refuses a header value with %s (it could never be sent)', async (_what, value) => {
    const res = await h.api('/v1/endpoints/hv', { method: 'PUT', json: { url: rx.url, signing: 'none', headers: { 'X-Api-Key': value } } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details?.[0]?.path).toBe('body.headers.X-Api-Key');
  });

  it('takes visible ASCII, tabs and Latin-1 header values, and delivers them', async () => {
    const headers = { 'X-Plain': 'Bearer abc.DEF-123 ~!', 'X-Tab': 'a\tb', 'X-Latin1': 'caf\u00e9' };
    await h.putEndpoint('hv-ok', { url: rx.url, signing: 'none', headers });
    await h.postMessages([{ id: 'hv-msg', endpoint_id: 'hv-ok', event_type: 't', payload: 1 }]);
    await rx.waitFor((r) => r.some((x) => x.id === 'hv-msg'));
    const got = rx.received.find((x) => x.id === 'hv-msg')!.headers;
    expect([got['x-plain'], got['x-tab'], Buffer.from(String(got['x-latin1']), 'latin1').toString('latin1')]).toEqual(['Bearer abc.DEF-123 ~!', 'a\tb', 'caf\u00e9']);
  });

  it('never returns custom header values: PUT and GET show the names with the values redacted', async () => {
    const headers = { Authorization: 'Bearer sk_live_header_secret_123', 'X-Api-Key': 'key-header-secret-456' };
    const put = await h.putEndpoint('hdr-redact', { url: rx.url, signing: 'none', headers });
    const get = await (await h.api('/v1/endpoints/hdr-redact')).text();
    for (const text of [JSON.stringify(put), get]) {
      expect(text).not.toContain('sk_live_header_secret_123');
      expect(text).not.toContain('key-header-secret-456');
    }
    expect(JSON.parse(get).headers).toEqual({ Authorization: '[redacted]', 'X-Api-Key': '[redacted]' });
    expect(put.headers).toEqual({ Authorization: '[redacted]', 'X-Api-Key': '[redacted]' });
  });

  it.each([
    ['loopback', 'http://127.0.0.1:9/x', '127.0.0.1 is a loopback address'],
    ['IPv6 loopback', 'http://[::1]:9/x', '::1 is a loopback address'],
    ['private', 'https://10.1.2.3/x', '10.1.2.3 is a private address'],
    ['cloud metadata', 'http://169.254.169.254/latest', '169.254.169.254 is a cloud metadata address'],
    ['a numeric spelling of loopback', 'http://2130706433/x', '127.0.0.1 is a loopback address'],
  ])('refuses a literal %s address at PUT, naming the settings that allow it', async (_what, url, says) => {
    const res = await strict.api('/v1/endpoints/lit', { method: 'PUT', json: { url, signing: 'none' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain(says);
    expect(body.error.message).toContain('OUTBOUND_ALLOW_PRIVATE');
    expect(body.error.message).toContain('OUTBOUND_ALLOW_HOSTS');
    expect(body.error.details?.[0]?.path).toBe('body.url');
    expect((await strict.api('/v1/endpoints/lit')).status).toBe(404);
  });

  it('takes a literal private address when allowed, and host names (judged at connect time)', async () => {
    await h.putEndpoint('lit-allowed-private', { url: 'http://127.0.0.1:9/x', signing: 'none' });
    await allowListed.putEndpoint('lit-allow-listed', { url: 'http://127.0.0.1:9/x', signing: 'none' });
    expect((await allowListed.api('/v1/endpoints/lit-other', { method: 'PUT', json: { url: 'http://127.0.0.2:9/x', signing: 'none' } })).status).toBe(400);
    await strict.putEndpoint('by-name', { url: 'http://localhost:9/x', signing: 'none', enabled: false });
    await strict.putEndpoint('public-ip', { url: 'https://93.184.216.34/x', signing: 'none', enabled: false });
  });
});
