import { afterEach, describe, expect, it } from 'vitest';
import { restProfile, startSyncHarness, until, type SyncHarness } from './harness';

let h: SyncHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('data sync: errors a person reads', () => {
  it('a remote error echoing the API token is kept redacted on the Sync Log row (error and event)', async () => {
    h = await startSyncHarness();
    const token = h.rest.token;
    h.rest.errorExtra = (auth) => ({ request: { authorization: auth }, hint: `key ${token} has no write scope`, retry_url: `/contacts?api_key=${token}&x=1` });
    const bad = h.frappe.insert('Customer', { customer_name: 'Bad', email_id: 'not-an-address' });
    const run = await h.run('full');
    expect(run.stats.failed).toBe(1);
    const row = h.frappe.logRow('customers', { local_name: bad.name })!;
    expect(row.status).toBe('Failed');
    const kept = JSON.stringify({ error: row.error, events: row.events });
    expect(kept).toContain('remote create answered 422');
    expect(kept).toContain('email is not an address');
    expect(kept).not.toContain(token);
    expect(kept).toContain('[redacted]');
    expect(kept).toContain('x=1');
  });

  it('resync and resolve tell an unknown profile, an unknown record and a settled conflict apart', async () => {
    h = await startSyncHarness({ profile: restProfile({ conflict_strategy: 'manual' }) });
    const ada = h.frappe.insert('Customer', { customer_name: 'Ada', email_id: 'ada@x.test' });
    const onlyRemote = h.rest.put({ name: 'Remote only' });
    await h.run('full');
    const synced = h.frappe.logRow('customers', { local_name: ada.name })!;

    for (const path of ['records/resync', 'conflicts/resolve']) {
      const body = { local_name: ada.name, ...(path === 'conflicts/resolve' ? { take: 'local' } : {}) };
      const noProfile = await h.api('POST', `/v1/sync/profiles/nope/${path}`, body);
      expect([noProfile.status, noProfile.body.error.code]).toEqual([404, 'sync_profile_not_found']);
      const noRecord = await h.api('POST', `/v1/sync/profiles/customers/${path}`, { ...body, local_name: 'CUST-none' });
      expect([noRecord.status, noRecord.body.error.code]).toEqual([404, 'sync_record_not_found']);
      expect(noRecord.body.error.message).toContain('CUST-none');
    }
    const settled = await h.api('POST', '/v1/sync/profiles/customers/conflicts/resolve', { local_name: ada.name, take: 'local' });
    expect([settled.status, settled.body.error.code]).toEqual([409, 'conflict_already_resolved']);
    expect(settled.body.error.message).toContain('Synced');

    // A record the Sync Log does not know yet, but a side holds, is queued.
    h.rest.records.delete(onlyRemote.id);
    const fresh = h.rest.put({ name: 'New remote' });
    expect((await h.api('POST', '/v1/sync/profiles/customers/records/resync', { external_id: fresh.id })).status).toBe(202);
    await until(() => h!.frappe.logRow('customers', { external_id: fresh.id })?.status === 'Synced', 'the resynced record');
    expect((await h.api('POST', '/v1/sync/profiles/customers/records/resync', { external_id: synced.external_id })).status).toBe(202);
    expect((await h.api('GET', '/v1/sync/profiles/nope')).body.error.code).toBe('sync_profile_not_found');
    expect((await h.api('GET', '/v1/sync/profiles/nope/runs/r1')).body.error.code).toBe('sync_profile_not_found');
    expect((await h.api('GET', '/v1/sync/profiles/customers/runs/r1')).body.error.code).toBe('not_found');
  });
});
