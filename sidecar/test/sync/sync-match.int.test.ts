import { afterEach, describe, expect, it } from 'vitest';
import { restProfile, startSyncHarness, type SyncHarness } from './harness';

let h: SyncHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const matchOn = { local_field: 'customer_name', remote_field: 'name' };
const localByName = (h: SyncHarness, name: string) => [...h.frappe.table('Customer').values()].filter((d) => d.customer_name === name);

/** The same customers on both sides before any sync; Cy's email differs, edited remotely later. */
function bothHold(h: SyncHarness) {
  const local = ['Ada', 'Bob', 'Cy'].map((n) => h.frappe.insert('Customer', { customer_name: n, email_id: `${n.toLowerCase()}@x.test`, customer_group: 'Commercial', credit_limit: 1 }));
  const remote = ['Ada', 'Bob', 'Cy'].map((n) => h.rest.put({ name: n, email: n === 'Cy' ? 'cy@new.test' : `${n.toLowerCase()}@x.test`, segment: 'b2b', credit_cents: 100 }));
  return { local, remote };
}

describe('data sync: match_on pairs records both sides already hold', () => {
  it('a first two-way run links each pair by key, creates none, updates the one that differs and reports them as linked', async () => {
    h = await startSyncHarness({ profile: restProfile({ match_on: matchOn }) });
    const { local, remote } = bothHold(h);
    const run = await h.run('full');
    expect(run.status).toBe('succeeded');
    // Pull links the three and updates Cy locally; push then finds each local record unchanged since.
    expect(run.stats).toMatchObject({ created: 0, linked: 3, updated: 1, skipped: 3, failed: 0, conflicts: 0 });
    expect(h.rest.counts.create).toBe(0);
    expect(h.frappe.table('Customer').size).toBe(3);
    local.forEach((doc, i) => {
      const row = h!.frappe.logRow('customers', { local_name: doc.name })!;
      expect(row).toMatchObject({ status: 'Synced', external_id: remote[i]!.id });
      expect(row.events.at(-1)).toMatchObject({ action: 'link', detail: 'paired on customer_name = name' });
    });
    expect(localByName(h, 'Cy')[0]!.email_id).toBe('cy@new.test');
    // Linked for good: the next run has nothing to do, and edits flow as for any synced pair.
    expect((await h.run()).stats).toMatchObject({ created: 0, linked: 0, updated: 0, failed: 0 });
    h.frappe.edit('Customer', local[0]!.name, { email_id: 'ada@new.test' });
    expect((await h.run()).stats).toMatchObject({ created: 0, linked: 0, updated: 1 });
    expect(h.rest.records.get(remote[0]!.id)!.email).toBe('ada@new.test');
  });

  it('a push-only profile pairs local records with remote ones found by the key (the remote lookup)', async () => {
    h = await startSyncHarness({ profile: restProfile({ match_on: matchOn, direction: 'push', conflict_strategy: 'local_wins' }) });
    const { local, remote } = bothHold(h);
    const run = await h.run('full');
    expect(run.stats).toMatchObject({ created: 0, linked: 3, failed: 0 });
    expect(h.rest.counts.create).toBe(0);
    // Push-only, local wins: the local value goes out for the pair that differed.
    expect(h.rest.records.get(remote[2]!.id)!.email).toBe('cy@x.test');
    expect(h.frappe.logRow('customers', { local_name: local[2]!.name })!.external_id).toBe(remote[2]!.id);
  });

  it('a key several records hold pairs none and copies none (Failed on both sides); a paired record is no candidate; blank keys create', async () => {
    h = await startSyncHarness({ profile: restProfile({ match_on: matchOn }) });
    const t1 = h.frappe.insert('Customer', { customer_name: 'Twin', email_id: 't1@x.test' });
    const t2 = h.frappe.insert('Customer', { customer_name: 'Twin', email_id: 't2@x.test' });
    const twin = h.rest.put({ name: 'Twin', email: 't@x.test' });
    h.rest.put({ name: '', email: 'blank@x.test' });
    const run = await h.run('full');
    expect(run.stats).toMatchObject({ linked: 0, created: 1, failed: 3 });
    for (const by of [{ external_id: twin.id }, { local_name: t1.name }, { local_name: t2.name }]) {
      const row = h.frappe.logRow('customers', by)!;
      expect(row.status).toBe('Failed');
      expect(row.error).toMatch(/^match_ambiguous: 2 local records hold customer_name = "Twin": none was paired/);
    }
    expect(localByName(h, 'Twin')).toHaveLength(2);
    expect(h.rest.live().filter((r) => r.name === 'Twin')).toHaveLength(1);
    expect(localByName(h, '')).toHaveLength(1);

    // Ada is synced (linked to c-ada); a second remote "Ada" appears: Ada's local record is taken.
    const ada = h.frappe.insert('Customer', { customer_name: 'Ada' });
    await h.run();
    const adaRow = h.frappe.logRow('customers', { local_name: ada.name })!;
    const second = h.rest.put({ name: 'Ada', email: 'other@x.test' });
    const next = await h.run();
    expect(next.stats).toMatchObject({ linked: 0, created: 1 });
    expect(h.frappe.logRow('customers', { external_id: second.id })!.local_name).not.toBe(ada.name);
    expect(h.frappe.logRow('customers', { local_name: ada.name })!.external_id).toBe(adaRow.external_id);
  });
});
