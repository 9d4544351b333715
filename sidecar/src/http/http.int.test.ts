import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, type TestSidecar } from '../../test/helpers';

describe('HTTP foundation', () => {
  let sc: TestSidecar;
  beforeAll(async () => {
    sc = await startTestSidecar();
  });
  afterAll(async () => {
    await sc.close();
  });

  it('answers /healthz with Redis status', async () => {
    const res = await fetch(`${sc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, redis: { ok: true, embedded: false } });
  });

  it('refuses /v1 without a token with 401 JSON', async () => {
    const res = await fetch(`${sc.url}/v1/x`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    const wrong = await fetch(`${sc.url}/v1/x`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('answers an unknown route with a token with 404 JSON', async () => {
    const res = await sc.api('/v1/x');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('rejects malformed JSON with 400 and non-JSON with 415', async () => {
    const bad = await sc.api('/v1/x', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const form = await sc.api('/v1/x', { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${sc.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sidecar_http_requests_total');
  });
});
