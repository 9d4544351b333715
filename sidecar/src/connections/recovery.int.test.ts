import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix } from '../../test/helpers';
import { FrappeClient } from '../frappe/client';
import { LOCAL_ADMIT_TTL_MS } from './admit-cache';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections/harness';
import { startFrappeStandin, type FrappeStandin } from '../../test/connections/frappe';
import { startPeer, type TestPeer } from '../../test/connections/peer';

describe('connection config recovered from Frappe', () => {
  let h: ConnectionsHarness;
  let frappe: FrappeStandin;
  let peer: TestPeer;
  beforeAll(async () => {
    frappe = await startFrappeStandin();
    peer = await startPeer();
    h = await startConnectionsHarness({ frappe: new FrappeClient({ url: frappe.url, apiKey: 'k', apiSecret: 's', timeoutMs: 2000 }) });
    frappe.configs.set('stripe', { base_url: peer.url, auth: { type: 'api_key', name: 'Authorization', prefix: 'Bearer ', value: 'sk_from_frappe' } });
  });
  afterAll(async () => {
    await h.close();
    await frappe.close();
    await peer.close();
  });

  it('loads a connection Redis does not have from connection_config, once for concurrent calls', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => h.proxy('stripe', { method: 'GET', path: '/v1/balance' })));
    expect(results.every((r) => r.status === 200 && r.body.status === 200)).toBe(true);
    expect(frappe.callsOf('config')).toEqual([{ connection_id: 'stripe' }]);
    expect(frappe.calls[0]!.auth).toBe('token k:s');
    expect(peer.requests.every((q) => q.headers.authorization === 'Bearer sk_from_frappe')).toBe(true);
    expect((await (await h.api('/v1/connections/stripe')).json()) as any).toMatchObject({ status: 'connected', auth: { value: '[redacted]' } });
  });

  it('after Redis loses everything while staying up, calls recover the config again within the local admit TTL', async () => {
    await dropPrefix(h.prefix);
    // Nothing announces a flush: this process admits from its cached verdict for at most
    // LOCAL_ADMIT_TTL_MS, every call still answered; then a call finds the connection missing.
    const t0 = Date.now();
    while (frappe.callsOf('config').length < 2) {
      expect((await h.proxy('stripe', { method: 'GET', path: '/v1/balance' })).body.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(LOCAL_ADMIT_TTL_MS + 500);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(frappe.callsOf('config')).toHaveLength(2);
    expect((await h.api('/v1/connections/stripe')).status).toBe(200);
  });

  it('404s when Frappe has no such connection; 503 when Frappe is down', async () => {
    expect((await h.proxy('unknown', { method: 'GET', path: '/x' })).body.error.code).toBe('not_found');
    frappe.failWith = 502;
    try {
      const r = await h.proxy('unknown2', { method: 'GET', path: '/x' });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
    } finally {
      frappe.failWith = null;
    }
  });
});
