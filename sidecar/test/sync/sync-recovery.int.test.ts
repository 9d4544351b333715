import { afterEach, describe, expect, it } from 'vitest';
import { restProfile, startSyncHarness, until, type SyncHarness } from './harness';

let h: SyncHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const locals = (h: SyncHarness) => [...h.frappe.table('Customer').values()];

describe('data sync: checkpoints, cursors and partial failures', () => {
  it('an interrupted pull resumes from its last checkpoint, not from the first page', async () => {
    h = await startSyncHarness({ profile: restProfile({ page_size: 20, direction: 'pull' }) });
    for (let i = 0; i < 120; i++) h.rest.put({ name: `R${String(i).padStart(3, '0')}`, email: `r${i}@x.test` });
    let down = true;
    // The site fails while the third page is written; the run stops there and is retried.
    h.frappe.beforeCall = (m, n) => (m === 'upsert_records' && n >= 3 && down ? 503 : null);
    const started = await h.api('POST', '/v1/sync/profiles/customers/runs', { kind: 'incremental' });
    await until(async () => (await h!.api('GET', `/v1/sync/profiles/customers/runs/${started.body.run_id}`)).body.error, 'the failed page');
    const mid = (await h.api('GET', `/v1/sync/profiles/customers/runs/${started.body.run_id}`)).body;
    expect(mid.status).toBe('running');
    expect(mid.stats.created).toBe(40);
    down = false;
    const run = await until(async () => {
      const r = (await h!.api('GET', `/v1/sync/profiles/customers/runs/${started.body.run_id}`)).body;
      return r.status === 'succeeded' ? r : null;
    }, 'the resumed run');
    expect(run.stats.created).toBe(120);
    expect(locals(h)).toHaveLength(120);
    expect(new Set(locals(h).map((d) => d.customer_name)).size).toBe(120);
    // Pages 1 and 2 were read once; page 3 twice (the failed attempt and the resumed one).
    const pages = h.rest.listQueries.map((q) => new URLSearchParams(q).get('page'));
    expect(pages.filter((p) => p === '1')).toHaveLength(1);
    expect(pages.filter((p) => p === '2')).toHaveLength(1);
    expect(pages.filter((p) => p === '3')).toHaveLength(2);
  });

  it('remote rows sharing the cursor timestamp, or committed late with an older one, are not missed', async () => {
    h = await startSyncHarness({ profile: restProfile({ page_size: 2, direction: 'pull', lookback_s: 60 }) });
    const T = new Date(Date.now() - 1000).toISOString();
    h.rest.fixedNow = T;
    for (let i = 0; i < 5; i++) h.rest.put({ name: `S${i}` });
    expect((await h.run()).stats.created).toBe(5);
    // Same timestamp as the cursor, written after the run read it.
    for (let i = 5; i < 8; i++) h.rest.put({ name: `S${i}` });
    // An older timestamp than the cursor (a slow transaction), inside the lookback window.
    h.rest.put({ name: 'Late' }, { updated_at: new Date(Date.parse(T) - 10_000).toISOString() });
    const run = await h.run();
    expect(run.stats).toMatchObject({ created: 4, updated: 0 });
    expect(locals(h).map((d) => d.customer_name).sort()).toEqual(['Late', 'S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7']);
  });

  it('local rows sharing one modified timestamp across pages, or committed late, are not missed', async () => {
    h = await startSyncHarness({ profile: restProfile({ page_size: 3, direction: 'push', lookback_s: 60 }) });
    const T = '2026-12-01 00:00:00.000000';
    h.frappe.fixedNow = T;
    for (let i = 0; i < 7; i++) h.frappe.insert('Customer', { customer_name: `L${i}` });
    expect((await h.run()).stats.created).toBe(7);
    h.frappe.insert('Customer', { customer_name: 'SameStamp' });
    h.frappe.insert('Customer', { customer_name: 'Late' }, { modified: '2026-11-30 23:59:50.000000' });
    expect((await h.run()).stats.created).toBe(2);
    expect(h.rest.live().map((r) => r.name).sort()).toEqual(['L0', 'L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'Late', 'SameStamp']);
  });

  it('a record failing validation leaves the rest synced, is retried alone with backoff, and syncs once fixed', async () => {
    h = await startSyncHarness({ profile: restProfile({ direction: 'push' }) });
    for (const n of ['A', 'B', 'C', 'D']) h.frappe.insert('Customer', { customer_name: n, email_id: `${n.toLowerCase()}@x.test` });
    const bad = h.frappe.insert('Customer', { customer_name: 'Bad', email_id: 'not-an-address' });
    const run = await h.run('full');
    expect(run.stats).toMatchObject({ created: 4, failed: 1 });
    expect(h.rest.live().map((r) => r.name).sort()).toEqual(['A', 'B', 'C', 'D']);
    const row = h.frappe.logRow('customers', { local_name: bad.name })!;
    expect(row).toMatchObject({ status: 'Failed', attempts: 1, external_id: null });
    expect(row.error).toMatch(/validation: remote create answered 422/);
    expect(Date.parse(row.next_retry_at) - Date.now()).toBeGreaterThan(3000);
    // The automatic retry (after 5 s) sends that record alone.
    const creates = h.rest.counts.create;
    const lists = h.rest.counts.list;
    await until(() => h!.frappe.logRow('customers', { local_name: bad.name })!.attempts === 2, 'the automatic retry', 15_000);
    expect(h.rest.counts.create).toBe(creates + 1);
    expect(h.rest.counts.list).toBe(lists);
    // Fixed in desk, then "retry failed": it syncs.
    h.frappe.edit('Customer', bad.name, { email_id: 'fixed@x.test' });
    const retry = await h.run('retry_failed');
    expect(retry.stats).toMatchObject({ created: 1, failed: 0 });
    expect(h.frappe.logRow('customers', { local_name: bad.name })).toMatchObject({ status: 'Synced', attempts: 0, error: null });
    expect(h.rest.live()).toHaveLength(5);
  });

  it('a record the site refuses is Failed alone; "resync this record" syncs it once allowed', async () => {
    h = await startSyncHarness({ profile: restProfile({ direction: 'pull' }) });
    h.frappe.validate = (_dt, doc) => (doc.customer_name === 'Refused' ? 'Customer Name is not allowed' : null);
    h.rest.put({ name: 'Fine' });
    const refused = h.rest.put({ name: 'Refused' });
    const run = await h.run('full');
    expect(run.stats).toMatchObject({ created: 1, failed: 1 });
    expect(h.frappe.logRow('customers', { external_id: refused.id })).toMatchObject({ status: 'Failed', local_name: null, error: expect.stringMatching(/validation: Customer Name is not allowed/) });
    h.frappe.validate = () => null;
    expect((await h.api('POST', '/v1/sync/profiles/customers/records/resync', { external_id: refused.id })).status).toBe(202);
    await until(() => h!.frappe.logRow('customers', { external_id: refused.id })!.status === 'Synced', 'the resynced record');
    expect(locals(h).map((d) => d.customer_name).sort()).toEqual(['Fine', 'Refused']);
  });

  it('absence rule: a remote record missing from a complete full run is deleted locally; an incomplete run deletes nothing', async () => {
    h = await startSyncHarness({ profile: restProfile({ direction: 'pull', page_size: 2, deletes: { push: true, pull: true, remote_rule: 'absence' }, remote: { ...restProfile().remote, delete_path: null } }) });
    const gone = h.rest.put({ name: 'Gone' });
    for (const n of ['K1', 'K2', 'K3']) h.rest.put({ name: n });
    await h.run('full');
    expect(locals(h)).toHaveLength(4);
    h.rest.records.delete(gone.id);
    // A full run that fails part-way deletes nothing.
    h.rest.latencyMs = 0;
    h.frappe.beforeCall = (m) => (m === 'list_sync_logs' ? 503 : null);
    const started = await h.api('POST', '/v1/sync/profiles/customers/runs', { kind: 'full' });
    await until(async () => (await h!.api('GET', `/v1/sync/profiles/customers/runs/${started.body.run_id}`)).body.error, 'the failing run');
    expect(locals(h)).toHaveLength(4);
    h.frappe.beforeCall = () => null;
    await until(async () => (await h!.api('GET', `/v1/sync/profiles/customers/runs/${started.body.run_id}`)).body.status === 'succeeded', 'the run');
    expect(locals(h).map((d) => d.customer_name).sort()).toEqual(['K1', 'K2', 'K3']);
    expect(h.frappe.logRow('customers', { external_id: gone.id })!.status).toBe('Deleted');
  });
});
