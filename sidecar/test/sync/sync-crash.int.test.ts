import { afterEach, describe, expect, it } from 'vitest';
import { newKeyEntry } from '../../src/secrets/keyring';
import { dropPrefix, uniquePrefix } from '../helpers';
import { SidecarProcess } from '../sidecar-process';
import { FrappeStandin } from './frappe-standin';
import { restProfile, until } from './harness';
import { RestStandin } from './rest-standin';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('data sync: kill -9 of the sidecar mid-run', () => {
  it('a restarted process finishes the run: no record lost or duplicated remotely', async () => {
    const frappe = await new FrappeStandin().start();
    const rest = await new RestStandin('page').start();
    cleanup.push(() => frappe.stop(), () => rest.stop());
    const N = 300;
    for (let i = 0; i < N; i++) frappe.insert('Customer', { customer_name: `K${String(i).padStart(3, '0')}`, email_id: `k${i}@x.test` });
    // Slow enough that the kill lands while creates are in flight.
    rest.latencyMs = 15;
    const prefix = uniquePrefix('sync-crash');
    cleanup.push(() => dropPrefix(prefix));
    const env = { FRAPPE_URL: frappe.url, FRAPPE_API_KEY: frappe.apiKey, FRAPPE_API_SECRET: frappe.apiSecret, SECRETS_KEYS: newKeyEntry('k1') };
    const first = await new SidecarProcess(prefix, env).start();
    cleanup.push(() => first.kill());
    expect((await first.api('PUT', '/v1/connections/crm', { base_url: rest.url, auth: { type: 'bearer', token: rest.token }, max_attempts: 1 })).status).toBe(200);
    expect((await first.api('PUT', '/v1/sync/profiles/customers', restProfile({ direction: 'push', page_size: 25 }))).status).toBe(200);
    const started = await first.api('POST', '/v1/sync/profiles/customers/runs', { kind: 'full' });
    expect(started.status).toBe(202);

    await until(() => rest.live().length >= 70, 'creates under way');
    await first.kill();
    const atKill = rest.live().length;
    expect(atKill).toBeLessThan(N);

    const second = await new SidecarProcess(prefix, env).start();
    cleanup.push(() => second.stop());
    const run = await until(async () => {
      const r = (await second.api('GET', `/v1/sync/profiles/customers/runs/${started.body.run_id}`)).body;
      return r.status === 'succeeded' ? r : null;
    }, 'the run to finish on the restarted process', 90_000);
    expect(run.phase).toBe('done');

    const names = rest.live().map((r) => r.name);
    expect(names).toHaveLength(N);
    expect(new Set(names).size).toBe(N);
    const rows = [...frappe.logsOf('customers').values()];
    expect(rows).toHaveLength(N);
    expect(rows.every((r) => r.status === 'Synced')).toBe(true);
    expect(new Set(rows.map((r) => r.external_id)).size).toBe(N);
    // Every log row points at the one remote record of its customer.
    for (const r of rows) expect(rest.records.get(r.external_id!)!.name).toBe(frappe.table('Customer').get(r.local_name!)!.customer_name);
  }, 150_000);
});
