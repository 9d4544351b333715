import { afterEach, describe, expect, it } from 'vitest';
import { startTestSidecar, type TestSidecar } from '../helpers';
import { FrappeStandin } from './frappe-standin';
import { until } from './harness';

/** Two Frappe sites: A is the sidecar's own (the whitelisted methods), B is reached over its REST API. */
let parts: { a: FrappeStandin; b: FrappeStandin; sc: TestSidecar } | null = null;
afterEach(async () => {
  if (!parts) return;
  await parts.sc.close();
  await parts.a.stop();
  await parts.b.stop();
  parts = null;
});

const profile = (o: Record<string, unknown> = {}) => ({
  local_doctype: 'Customer',
  direction: 'both',
  conflict_strategy: 'manual',
  page_size: 2,
  lookback_s: 60,
  deletes: { push: true, pull: true, remote_rule: 'absence' },
  remote: { type: 'frappe', connection_id: 'erp-b', doctype: 'Customer', time_zone: 'UTC', match_field: 'source_name' },
  fields: [
    { local_field: 'customer_name', remote_field: 'customer_name' },
    { local_field: 'territory', remote_field: 'territory' },
  ],
  ...o,
});

async function start() {
  const a = await new FrappeStandin().start();
  const b = await new FrappeStandin('b-key', 'b-secret').start();
  const sc = await startTestSidecar({ FRAPPE_URL: a.url, FRAPPE_API_KEY: a.apiKey, FRAPPE_API_SECRET: a.apiSecret, OUTBOUND_ALLOW_PRIVATE: 'true' });
  parts = { a, b, sc };
  const call = async (method: string, path: string, json?: unknown) => {
    const res = await sc.api(path, { method, ...(json !== undefined ? { json } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  expect(
    (await call('PUT', '/v1/connections/erp-b', { base_url: b.url, auth: { type: 'api_key', in: 'header', name: 'Authorization', prefix: 'token ', value: 'b-key:b-secret' } })).status,
  ).toBe(200);
  expect((await call('PUT', '/v1/sync/profiles/customers', profile())).status).toBe(200);
  const run = async (kind = 'incremental') => {
    const r = await call('POST', '/v1/sync/profiles/customers/runs', { kind });
    return until(async () => {
      const x = (await call('GET', `/v1/sync/profiles/customers/runs/${r.body.run_id}`)).body;
      return x.status === 'succeeded' || x.status === 'failed' ? x : null;
    }, 'run');
  };
  return { a, b, call, run };
}

const names = (s: FrappeStandin) => [...s.table('Customer').values()].map((d) => d.customer_name).sort();

describe('data sync: Frappe site ↔ Frappe site over /api/resource', () => {
  it('customers sync both ways, edits and a conflict resolved through the queue, deletes by absence', async () => {
    const { a, b, call, run } = await start();
    for (const n of ['A1', 'A2', 'A3']) a.insert('Customer', { customer_name: n, territory: 'EU' });
    for (const n of ['B1', 'B2']) b.insert('Customer', { customer_name: n, territory: 'US' });
    let r = await run('full');
    expect(r.stats).toMatchObject({ created: 5, failed: 0 });
    expect(names(a)).toEqual(['A1', 'A2', 'A3', 'B1', 'B2']);
    expect(names(b)).toEqual(['A1', 'A2', 'A3', 'B1', 'B2']);
    // Records created on B carry A's name in the match field (crash-safe creates).
    const a1 = [...a.table('Customer').values()].find((d) => d.customer_name === 'A1')!;
    expect([...b.table('Customer').values()].find((d) => d.customer_name === 'A1')!.source_name).toBe(a1.name);

    // An edit on each side, one record edited on both: the conflict waits for the desk.
    const bB1 = [...b.table('Customer').values()].find((d) => d.customer_name === 'B1')!;
    const aA2 = [...a.table('Customer').values()].find((d) => d.customer_name === 'A2')!;
    b.edit('Customer', bB1.name, { territory: 'APAC' });
    a.edit('Customer', a1.name, { territory: 'UK' });
    const bA1 = [...b.table('Customer').values()].find((d) => d.customer_name === 'A1')!;
    b.edit('Customer', bA1.name, { territory: 'FR' });
    a.edit('Customer', aA2.name, { territory: 'DE' });
    r = await run();
    expect(r.stats).toMatchObject({ updated: 2, conflicts: 1, failed: 0 });
    expect([...a.table('Customer').values()].find((d) => d.customer_name === 'B1')!.territory).toBe('APAC');
    expect(b.table('Customer').get([...b.table('Customer').values()].find((d) => d.customer_name === 'A2')!.name)!.territory).toBe('DE');
    const row = a.logRow('customers', { local_name: a1.name })!;
    expect(row).toMatchObject({ status: 'Conflict', conflict: { fields: ['territory'], local: { territory: 'UK' }, remote: { territory: 'FR' } } });
    const res = await call('POST', '/v1/sync/profiles/customers/conflicts/resolve', { local_name: a1.name, take: 'remote' });
    expect(res.body.status).toBe('Synced');
    expect(a.table('Customer').get(a1.name)!.territory).toBe('FR');

    // A deleted on A → deleted on B; deleted on B → found absent by a complete full run → deleted on A.
    a.remove('Customer', aA2.name);
    b.remove('Customer', bB1.name);
    r = await run('full');
    expect(r.stats).toMatchObject({ deleted: 2, failed: 0 });
    expect(names(a)).toEqual(['A1', 'A3', 'B2']);
    expect(names(b)).toEqual(['A1', 'A3', 'B2']);
    // Nothing echoes back.
    r = await run();
    expect(r.stats).toMatchObject({ created: 0, updated: 0, deleted: 0, conflicts: 0 });
  });
});
