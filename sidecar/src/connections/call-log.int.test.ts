import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, uniquePrefix } from '../../test/helpers';
import { CALL_FAILURES, startFrappeStandin, type FrappeStandin } from '../../test/connections/frappe';
import { startPeer, type TestPeer } from '../../test/connections/peer';
import { SidecarProcess } from '../../test/sidecar-process';
import { newKeyEntry } from '../secrets/keyring';

const API_KEY = 'sk_live_call_log_secret_0123456789';

/**
 * Failed calls reach Frappe's call log: a real sidecar process with FRAPPE_URL, the Reporter
 * sending what the proxy recorded to `report_connection_failures` in batches. Successes do not.
 */
describe('failed calls reported to Frappe', () => {
  const prefix = uniquePrefix('cnlog');
  let frappe: FrappeStandin;
  let peer: TestPeer;
  let proc: SidecarProcess;
  beforeAll(async () => {
    frappe = await startFrappeStandin();
    peer = await startPeer((q, res) => {
      if (q.url.startsWith('/ok')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (q.url.startsWith('/hang')) return; // never answers: the call times out
      // An API that echoes what it was sent, and a token, in its error: none of it may be kept.
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'forbidden', detail: `key ${q.headers['x-api-key']} lacks scope`, access_token: 'at-from-the-api', padding: 'x'.repeat(2000) }));
    });
    proc = await new SidecarProcess(prefix, { SECRETS_KEYS: newKeyEntry('k1'), FRAPPE_URL: frappe.url, FRAPPE_API_KEY: 'k', FRAPPE_API_SECRET: 's' }).start();
  }, 60_000);
  afterAll(async () => {
    await proc.stop();
    await peer.close();
    await frappe.close();
    await dropPrefix(prefix);
  });

  const failures = () => frappe.calls.filter((c) => c.method === CALL_FAILURES).flatMap((c) => c.body.failures as Array<Record<string, any>>);

  it('sends status, error code, attempts, duration, time and a redacted snippet; no successes, no query', async () => {
    const put = await proc.api('PUT', '/v1/connections/logged', {
      base_url: peer.url, auth: { type: 'api_key', name: 'X-Api-Key', value: API_KEY }, max_attempts: 2, timeout_ms: 300, breaker: { failure_threshold: 100, cooldown_s: 60 },
    });
    expect(put.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await proc.api('POST', '/v1/connections/logged/proxy', { method: 'GET', path: '/ok' })).body.status).toBe(200);
    expect((await proc.api('POST', '/v1/connections/logged/proxy', { method: 'GET', path: '/refunds/re_1', query: { secret_param: 'q-s3cret' } })).body.status).toBe(403);
    expect((await proc.api('POST', '/v1/connections/logged/proxy', { method: 'GET', path: '/hang' })).body.error.code).toBe('timeout');

    await expect.poll(() => failures().length, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    // Give a third (which must not come) the time to arrive: successes are not reported.
    await new Promise((r) => setTimeout(r, 1500));
    expect(failures()).toHaveLength(2);
    const denied = failures().find((f) => f.path === '/refunds/re_1');
    const timedOut = failures().find((f) => f.path === '/hang');
    expect(denied).toMatchObject({ connection_id: 'logged', method: 'GET', path: '/refunds/re_1', status_code: 403, error_code: 'upstream_status', attempts: 1 });
    expect(denied!.response_snippet).toContain('"error":"forbidden"');
    expect(denied!.response_snippet.length).toBeLessThanOrEqual(500);
    expect(Date.parse(denied!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(timedOut).toMatchObject({ path: '/hang', status_code: null, error_code: 'timeout', attempts: 2, response_snippet: null });
    expect(timedOut!.duration_ms).toBeGreaterThanOrEqual(600);
    const sent = JSON.stringify(frappe.calls.filter((c) => c.method === CALL_FAILURES));
    for (const secret of [API_KEY, 'at-from-the-api', 'q-s3cret']) expect(sent).not.toContain(secret);
    // The sidecar's own log holds no secret either.
    expect(proc.output).not.toContain(API_KEY);
  });
});
