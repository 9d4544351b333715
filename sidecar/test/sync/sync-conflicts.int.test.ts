import { afterEach, describe, expect, it } from 'vitest';
import { restProfile, sleep, startSyncHarness, type SyncHarness } from './harness';

let h: SyncHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** One customer synced both ways; returns its names on each side. */
async function synced(profile: Record<string, unknown>): Promise<{ h: SyncHarness; local: string; remote: string }> {
  h = await startSyncHarness({ profile });
  const doc = h.frappe.insert('Customer', { customer_name: 'Ada', email_id: 'ada@x.test', customer_group: 'Commercial', credit_limit: 1 });
  const run = await h.run('full');
  expect(run.stats.created).toBe(1);
  const row = h.frappe.logRow('customers', { local_name: doc.name })!;
  return { h, local: doc.name, remote: row.external_id! };
}

/** Both sides edit `field` (local first, remote a few ms later), then an incremental run. */
async function bothEdit(s: { h: SyncHarness; local: string; remote: string }, local: Record<string, unknown>, remote: Record<string, unknown>, remoteFirst = false) {
  if (remoteFirst) s.h.rest.put(remote, { id: s.remote });
  else s.h.frappe.edit('Customer', s.local, local);
  await sleep(5);
  if (remoteFirst) s.h.frappe.edit('Customer', s.local, local);
  else s.h.rest.put(remote, { id: s.remote });
  return s.h.run();
}

const sides = (s: { h: SyncHarness; local: string; remote: string }) => ({ local: s.h.frappe.table('Customer').get(s.local)!, remote: s.h.rest.records.get(s.remote)! });

describe('data sync: simultaneous edits by strategy', () => {
  it('local_wins: the local value goes to both sides', async () => {
    const s = await synced(restProfile({ conflict_strategy: 'local_wins' }));
    const run = await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' }, true);
    expect(run.stats).toMatchObject({ updated: 1, conflicts: 0 });
    expect(sides(s).remote.email).toBe('l@x.test');
    expect(sides(s).local.email_id).toBe('l@x.test');
    expect(s.h.frappe.logRow('customers', { local_name: s.local })!.events.at(-1).detail).toMatch(/both sides changed email_id: settled by local_wins/);
  });

  it('remote_wins: the remote value goes to both sides', async () => {
    const s = await synced(restProfile({ conflict_strategy: 'remote_wins' }));
    await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' });
    expect(sides(s).local.email_id).toBe('r@x.test');
    expect(sides(s).remote.email).toBe('r@x.test');
  });

  it('latest_wins: the later edit wins whichever side made it', async () => {
    const s = await synced(restProfile({ conflict_strategy: 'latest_wins' }));
    await bothEdit(s, { email_id: 'l1@x.test' }, { email: 'r1@x.test' });
    expect(sides(s)).toMatchObject({ local: { email_id: 'r1@x.test' }, remote: { email: 'r1@x.test' } });
    await bothEdit(s, { email_id: 'l2@x.test' }, { email: 'r2@x.test' }, true);
    expect(sides(s)).toMatchObject({ local: { email_id: 'l2@x.test' }, remote: { email: 'l2@x.test' } });
  });

  it('latest_wins falls back to the named side when a timestamp is missing', async () => {
    const remote = { ...restProfile().remote, updated_field: null, updated_since_param: null };
    const s = await synced(restProfile({ conflict_strategy: 'latest_wins', latest_fallback: 'remote', remote }));
    // The local edit is the later one, but the remote has no timestamp: the fallback side wins.
    await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' }, true);
    expect(sides(s)).toMatchObject({ local: { email_id: 'r@x.test' }, remote: { email: 'r@x.test' } });
  });

  it('edits of different fields merge without a conflict, even under manual', async () => {
    const s = await synced(restProfile({ conflict_strategy: 'manual' }));
    const run = await bothEdit(s, { customer_name: 'Ada L.' }, { email: 'r@x.test' });
    expect(run.stats).toMatchObject({ updated: 1, conflicts: 0 });
    expect(sides(s)).toMatchObject({ local: { customer_name: 'Ada L.', email_id: 'r@x.test' }, remote: { name: 'Ada L.', email: 'r@x.test' } });
  });

  it('manual: the conflict waits (nothing written, runs skip it) and resolves by local, remote or merged values', async () => {
    const s = await synced(restProfile({ conflict_strategy: 'manual' }));
    const writes = { ...s.h.rest.counts };
    let run = await bothEdit(s, { email_id: 'l@x.test', credit_limit: 7 }, { email: 'r@x.test' });
    expect(run.stats).toMatchObject({ conflicts: 1, updated: 0 });
    let row = s.h.frappe.logRow('customers', { local_name: s.local })!;
    expect(row.status).toBe('Conflict');
    expect(row.conflict).toMatchObject({ fields: ['email_id'], local: { email_id: 'l@x.test' }, remote: { email_id: 'r@x.test' }, base: { email_id: 'ada@x.test' } });
    expect(sides(s)).toMatchObject({ local: { email_id: 'l@x.test' }, remote: { email: 'r@x.test' } });
    expect(s.h.rest.counts.update).toBe(writes.update);
    // It waits: another run leaves it alone.
    s.h.rest.put({ name: 'Ada R.' }, { id: s.remote });
    run = await s.h.run();
    expect(s.h.frappe.logRow('customers', { local_name: s.local })!.status).toBe('Conflict');
    expect(sides(s).local.customer_name).toBe('Ada');

    const notConflict = await s.h.api('POST', '/v1/sync/profiles/customers/conflicts/resolve', { local_name: 'nope', take: 'local' });
    expect(notConflict.status).toBe(404);
    expect(notConflict.body.error.code).toBe('sync_record_not_found');
    const res = await s.h.api('POST', '/v1/sync/profiles/customers/conflicts/resolve', { local_name: s.local, take: 'local' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'Synced', local_name: s.local, external_id: s.remote });
    expect(sides(s)).toMatchObject({ local: { email_id: 'l@x.test', customer_name: 'Ada' }, remote: { email: 'l@x.test', name: 'Ada', credit_cents: 700 } });
    expect((await s.h.api('POST', '/v1/sync/profiles/customers/conflicts/resolve', { local_name: s.local, take: 'local' })).body.error.code).toBe('conflict_already_resolved');
    // Settled: the next run has nothing to do.
    expect((await s.h.run()).stats).toMatchObject({ updated: 0, conflicts: 0 });

    await bothEdit(s, { email_id: 'l2@x.test' }, { email: 'r2@x.test' });
    expect(s.h.frappe.logRow('customers', { local_name: s.local })!.status).toBe('Conflict');
    await s.h.api('POST', '/v1/sync/profiles/customers/conflicts/resolve', { external_id: s.remote, take: 'remote' });
    expect(sides(s)).toMatchObject({ local: { email_id: 'r2@x.test' }, remote: { email: 'r2@x.test' } });

    await bothEdit(s, { email_id: 'l3@x.test' }, { email: 'r3@x.test' });
    const merged = await s.h.api('POST', '/v1/sync/profiles/customers/conflicts/resolve', { local_name: s.local, take: 'merge', values: { email_id: 'both@x.test' } });
    expect(merged.body.status).toBe('Synced');
    expect(sides(s)).toMatchObject({ local: { email_id: 'both@x.test' }, remote: { email: 'both@x.test' } });
    expect(s.h.frappe.logRow('customers', { local_name: s.local })!.status).toBe('Synced');
  });
});

describe('data sync: per-field rules on simultaneous edits', () => {
  const withRule = (rule: string) =>
    restProfile({
      conflict_strategy: 'manual',
      fields: [
        { local_field: 'customer_name', remote_field: 'name' },
        { local_field: 'email_id', remote_field: 'email', rule },
      ],
    });

  it('prefer_local_unless_blank: local wins, but a blank local takes the remote value', async () => {
    const s = await synced(withRule('prefer_local_unless_blank'));
    await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' });
    expect(sides(s)).toMatchObject({ local: { email_id: 'l@x.test' }, remote: { email: 'l@x.test' } });
    await bothEdit(s, { email_id: '' }, { email: 'r2@x.test' });
    expect(sides(s)).toMatchObject({ local: { email_id: 'r2@x.test' }, remote: { email: 'r2@x.test' } });
  });

  it('prefer_remote_unless_blank: remote wins, but a blank remote takes the local value', async () => {
    const s = await synced(withRule('prefer_remote_unless_blank'));
    await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' });
    expect(sides(s)).toMatchObject({ local: { email_id: 'r@x.test' }, remote: { email: 'r@x.test' } });
    await bothEdit(s, { email_id: 'l2@x.test' }, { email: null });
    expect(sides(s)).toMatchObject({ local: { email_id: 'l2@x.test' }, remote: { email: 'l2@x.test' } });
  });

  it('always_local: the local value always, even when only the remote changed it', async () => {
    const s = await synced(withRule('always_local'));
    await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' });
    expect(sides(s)).toMatchObject({ local: { email_id: 'l@x.test' }, remote: { email: 'l@x.test' } });
    s.h.rest.put({ email: '' }, { id: s.remote });
    await s.h.run();
    expect(sides(s)).toMatchObject({ local: { email_id: 'l@x.test' }, remote: { email: 'l@x.test' } });
  });

  it('always_remote: the remote value always, even a blank one', async () => {
    const s = await synced(withRule('always_remote'));
    await bothEdit(s, { email_id: 'l@x.test' }, { email: '' });
    expect(sides(s).local.email_id ?? '').toBe('');
    s.h.frappe.edit('Customer', s.local, { email_id: 'again@x.test' });
    await s.h.run();
    expect(sides(s).local.email_id ?? '').toBe('');
  });

  it('two_way: the profile strategy decides (manual → conflict)', async () => {
    const s = await synced(withRule('two_way'));
    const run = await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' });
    expect(run.stats.conflicts).toBe(1);
  });

  it("dont_sync: the field is never read or written", async () => {
    const s = await synced(withRule('dont_sync'));
    expect(sides(s).remote.email).toBeUndefined();
    const run = await bothEdit(s, { email_id: 'l@x.test' }, { email: 'r@x.test' });
    expect(run.stats).toMatchObject({ updated: 0, conflicts: 0 });
    expect(sides(s)).toMatchObject({ local: { email_id: 'l@x.test' }, remote: { email: 'r@x.test' } });
  });

  it('a push-only field is never written locally; a pull-only one never remotely', async () => {
    const s = await synced(
      restProfile({
        fields: [
          { local_field: 'customer_name', remote_field: 'name', direction: 'push' },
          { local_field: 'email_id', remote_field: 'email', direction: 'pull' },
        ],
      }),
    );
    s.h.rest.put({ name: 'Remote rename', email: 'r@x.test' }, { id: s.remote });
    await s.h.run();
    expect(sides(s)).toMatchObject({ local: { customer_name: 'Ada', email_id: 'r@x.test' }, remote: { name: 'Ada', email: 'r@x.test' } });
  });
});
