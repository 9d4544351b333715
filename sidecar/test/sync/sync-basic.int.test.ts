import { afterEach, describe, expect, it } from 'vitest';
import { restProfile, startSyncHarness, until, type SyncHarness } from './harness';

let h: SyncHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const byName = (h: SyncHarness, name: string) => h.rest.live().find((r) => r.name === name);
const localByName = (h: SyncHarness, name: string) => [...h.frappe.table('Customer').values()].find((d) => d.customer_name === name);

describe('data sync: create, update, delete both ways (REST store)', () => {
  it('a full two-way run creates each side on the other, with transforms, and logs every record Synced', async () => {
    h = await startSyncHarness();
    h.frappe.insert('Customer', { customer_name: 'Ada', email_id: 'ada@x.test', customer_group: 'Commercial', credit_limit: 12.5 });
    h.frappe.insert('Customer', { customer_name: 'Bob', email_id: 'bob@x.test', customer_group: 'Individual', credit_limit: 0 });
    h.rest.put({ name: 'Cy', email: 'cy@x.test', segment: 'b2b', credit_cents: 9900 });

    const run = await h.run('full');
    expect(run.status).toBe('succeeded');
    expect(run.stats).toMatchObject({ created: 3, failed: 0, conflicts: 0 });
    expect(byName(h, 'Ada')).toMatchObject({ email: 'ada@x.test', segment: 'b2b', credit_cents: 1250 });
    expect(byName(h, 'Bob')).toMatchObject({ segment: 'b2c', credit_cents: 0 });
    expect(localByName(h, 'Cy')).toMatchObject({ email_id: 'cy@x.test', customer_group: 'Commercial', credit_limit: 99 });
    const rows = [...h.frappe.logsOf('customers').values()];
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'Synced' && r.local_name && r.external_id && r.local_hash && r.remote_hash)).toBe(true);
    // Frappe gets the run's history and the cursors (reported after the run's last write).
    await until(() => h!.frappe.runs.get(run.run_id)?.status === 'succeeded', 'the run report');
    expect(h.frappe.runs.get(run.run_id)).toMatchObject({ stats: { created: 3 }, state: { local_cursor: expect.any(Object), remote_cursor: expect.any(String) } });
    // A second run finds nothing to do: nothing it wrote comes back as a change (no echo).
    const counts = { ...h.rest.counts };
    const again = await h.run('incremental');
    expect(again.stats).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0 });
    expect(h.rest.counts.create).toBe(counts.create);
    expect(h.rest.counts.update).toBe(counts.update);
  });

  it('updates on either side reach the other in the next incremental run; deletes go both ways', async () => {
    h = await startSyncHarness();
    const ada = h.frappe.insert('Customer', { customer_name: 'Ada', email_id: 'ada@x.test', customer_group: 'Commercial', credit_limit: 1 });
    const cy = h.rest.put({ name: 'Cy', email: 'cy@x.test', segment: 'b2c', credit_cents: 100 });
    await h.run('full');
    const cyLocal = localByName(h, 'Cy')!;

    h.frappe.edit('Customer', ada.name, { email_id: 'ada@new.test' });
    h.rest.put({ credit_cents: 500 }, { id: cy.id });
    let run = await h.run();
    expect(run.stats).toMatchObject({ updated: 2, created: 0, failed: 0 });
    expect(byName(h, 'Ada')!.email).toBe('ada@new.test');
    expect(h.frappe.table('Customer').get(cyLocal.name)!.credit_limit).toBe(5);

    h.frappe.remove('Customer', ada.name);
    h.rest.put({ deleted: true }, { id: cy.id });
    run = await h.run();
    expect(run.stats).toMatchObject({ deleted: 2, failed: 0 });
    expect(byName(h, 'Ada')).toBeUndefined();
    expect(h.rest.records.get(byNameAll(h, 'Ada'))!.deleted).toBe(true);
    expect(h.frappe.table('Customer').has(cyLocal.name)).toBe(false);
    const rows = [...h.frappe.logsOf('customers').values()];
    expect(rows.map((r) => r.status)).toEqual(['Deleted', 'Deleted']);
    // The deletes do not come back: the next run deletes nothing more.
    const deletes = h.rest.counts.delete;
    expect((await h.run()).stats).toMatchObject({ deleted: 0, failed: 0 });
    expect(h.rest.counts.delete).toBe(deletes);
  });

  it('filters keep records out on their own side', async () => {
    h = await startSyncHarness({ profile: restProfile({ local_filters: [['customer_group', '=', 'Commercial']], remote_filters: [['segment', '!=', 'b2c']] }) });
    h.frappe.insert('Customer', { customer_name: 'In', customer_group: 'Commercial' });
    h.frappe.insert('Customer', { customer_name: 'Out', customer_group: 'Individual' });
    h.rest.put({ name: 'RemoteOut', segment: 'b2c' });
    const run = await h.run('full');
    expect(run.stats).toMatchObject({ created: 1, skipped: 2 });
    expect(h.rest.live().map((r) => r.name).sort()).toEqual(['In', 'RemoteOut']);
    expect(localByName(h, 'RemoteOut')).toBeUndefined();
  });

  it('real-time: a saved record handed over by the outbox (sync_profile_id) is pushed at once; the sync\'s own writes raise no change', async () => {
    h = await startSyncHarness({ profile: restProfile({ mode: 'realtime' }) });
    h.rest.put({ name: 'Remote', email: 'r@x.test' });
    await h.run('full');
    // Pulling Remote into Frappe wrote it with the echo marker: no change event for the outbox.
    expect(h.frappe.changes).toEqual([]);
    // Even if the site did hand the pulled record back (a missed marker), it goes nowhere: its
    // content hash is the one the sync wrote. Sent with a real change in the same batch, which
    // shows when the batch is done.
    const pulled = [...h.frappe.table('Customer').values()][0]!;
    const other = h.frappe.insert('Customer', { customer_name: 'Other' });
    const before = { ...h.rest.counts };
    await h.api('POST', '/v1/sync/profiles/customers/changes', { changes: [{ name: pulled.name, action: 'upsert' }, { name: other.name, action: 'upsert' }] });
    await until(() => byName(h!, 'Other'), 'the real change');
    expect(h.rest.counts.update).toBe(before.update);
    expect(h.rest.counts.create).toBe(before.create + 1);
    const doc = h.frappe.insert('Customer', { customer_name: 'Live', email_id: 'live@x.test' });
    const msg = { id: 'msg-0001', sync_profile_id: 'customers', event_type: 'sync.upsert', payload: { name: doc.name }, timestamp: new Date().toISOString() };
    const res = await h.api('POST', '/v1/messages', { messages: [msg] });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toEqual(['msg-0001']);
    await until(() => byName(h!, 'Live'), 'the pushed record');
    expect((await h.api('POST', '/v1/messages', { messages: [msg] })).body.duplicates).toEqual(['msg-0001']);
    const unknown = await h.api('POST', '/v1/messages', { messages: [{ ...msg, id: 'msg-0002', sync_profile_id: 'nope' }] });
    expect(unknown.body.rejected).toEqual([expect.objectContaining({ id: 'msg-0002', code: 'sync_profile_not_found' })]);
    // The same path over HTTP.
    h.frappe.edit('Customer', doc.name, { email_id: 'live2@x.test' });
    expect((await h.api('POST', '/v1/sync/profiles/customers/changes', { changes: [{ name: doc.name, action: 'upsert' }] })).status).toBe(202);
    await until(() => byName(h!, 'Live')?.email === 'live2@x.test', 'the pushed update');
    h.frappe.remove('Customer', doc.name);
    await h.api('POST', '/v1/sync/profiles/customers/changes', { changes: [{ name: doc.name, action: 'delete' }] });
    await until(() => !byName(h!, 'Live'), 'the pushed delete');
  });

  it('rejects a bad profile, unknown profiles and runs of a disabled one with clear errors', async () => {
    h = await startSyncHarness();
    const bad = await h.api('PUT', '/v1/sync/profiles/x', { ...restProfile(), direction: 'sideways' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect((await h.api('POST', '/v1/sync/profiles/nope/runs', { kind: 'full' })).body.error.code).toBe('sync_profile_not_found');
    await h.put(restProfile({ enabled: false }), 'off');
    const off = await h.api('POST', '/v1/sync/profiles/off/runs', {});
    expect(off.status).toBe(409);
    expect(off.body.error.code).toBe('profile_disabled');
  });
});

function byNameAll(h: SyncHarness, name: string): string {
  return [...h.rest.records.values()].find((r) => r.name === name)!.id;
}
