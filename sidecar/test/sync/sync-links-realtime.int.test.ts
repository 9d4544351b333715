import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers';
import { restProfile, startSyncHarness, until, type SyncHarness } from './harness';
import { RestStandin } from './rest-standin';

let h: SyncHarness | null = null;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const f of cleanup.splice(0)) await f();
});

describe('data sync: Link transforms, progress to desk, scheduled runs', () => {
  it('a Link field is resolved through the Sync Log of another profile, both ways; an unresolved one fails the record', async () => {
    h = await startSyncHarness({
      profile: restProfile({
        fields: [
          { local_field: 'customer_name', remote_field: 'name' },
          { local_field: 'customer_group', remote_field: 'group_id', transform: { type: 'link', profile_id: 'groups' } },
        ],
      }),
    });
    const groups = await new RestStandin('offset', 'groups-token').start();
    cleanup.push(() => groups.stop());
    expect((await h.api('PUT', '/v1/connections/groups', { base_url: groups.url, auth: { type: 'bearer', token: groups.token } })).status).toBe(200);
    await h.put(restProfile({ local_doctype: 'Customer Group', remote: { ...restProfile().remote, connection_id: 'groups', pagination: { style: 'offset' } }, fields: [{ local_field: 'group_name', remote_field: 'name' }] }), 'groups');
    const vip = h.frappe.insert('Customer Group', { group_name: 'VIP' });
    const remoteRetail = groups.put({ name: 'Retail' });
    expect((await h.run('full', 'groups')).stats.created).toBe(2);
    const vipExt = h.frappe.logRow('groups', { local_name: vip.name })!.external_id;
    const retailLocal = h.frappe.logRow('groups', { external_id: remoteRetail.id })!.local_name;

    h.frappe.insert('Customer', { customer_name: 'Ada', customer_group: vip.name });
    h.rest.put({ name: 'Bob', group_id: remoteRetail.id });
    h.rest.put({ name: 'Orphan', group_id: 'no-such-group' });
    const run = await h.run('full');
    expect(run.stats).toMatchObject({ created: 2, failed: 1 });
    expect(h.rest.live().find((r) => r.name === 'Ada')!.group_id).toBe(vipExt);
    expect([...h.frappe.table('Customer').values()].find((d) => d.customer_name === 'Bob')!.customer_group).toBe(retailLocal);
    const orphan = h.rest.live().find((r) => r.name === 'Orphan')!;
    expect(h.frappe.logRow('customers', { external_id: orphan.id })!.error).toMatch(/^link_unresolved: /);
  });

  it('run progress and conflicts reach desk on the Frappe realtime channel, in the profile DocType room', async () => {
    const site = uniquePrefix('site');
    const sub = new Redis(TEST_REDIS_URL);
    cleanup.push(() => sub.quit());
    const events: Array<{ event: string; room: string; message: { items: any[] } }> = [];
    sub.on('message', (_c, text) => {
      const m = JSON.parse(text);
      if (m.namespace === site) events.push(m);
    });
    await sub.subscribe('events');
    h = await startSyncHarness({ profile: restProfile({ page_size: 2, conflict_strategy: 'manual' }), env: { FRAPPE_REDIS_URL: TEST_REDIS_URL, FRAPPE_SITE: site } });
    for (const n of ['A', 'B', 'C', 'D', 'E']) h.frappe.insert('Customer', { customer_name: n });
    const run = await h.run('full');
    await until(() => events.some((e) => e.message.items.some((i) => i.run_id === run.run_id && i.status === 'succeeded')), 'the final progress event');
    const progress = events.filter((e) => e.event === 'integrations_sync_progress').flatMap((e) => e.message.items);
    expect(events.every((e) => e.room === 'doctype:Integration Sync Profile')).toBe(true);
    expect(progress.map((i) => i.stats.created)).toContain(2);
    expect(progress.at(-1)).toMatchObject({ run_id: run.run_id, status: 'succeeded', phase: 'done', stats: { created: 5 } });
    expect(progress.every((i) => i.checkpoint === undefined)).toBe(true);

    const row = [...h.frappe.logsOf('customers').values()][0]!;
    h.frappe.edit('Customer', row.local_name!, { email_id: 'l@x.test' });
    h.rest.put({ email: 'r@x.test' }, { id: row.external_id! });
    await h.run();
    await until(() => events.some((e) => e.event === 'integrations_sync_conflict'), 'the conflict event');
    expect(events.find((e) => e.event === 'integrations_sync_conflict')!.message.items[0]).toMatchObject({ profile_id: 'customers', local_name: row.local_name, external_id: row.external_id, fields: ['email_id'] });
  });

  it('a scheduled profile runs by its cron without being asked', async () => {
    h = await startSyncHarness({ profile: restProfile({ mode: 'scheduled', schedule_cron: '* * * * * *' }) });
    h.frappe.insert('Customer', { customer_name: 'Cron' });
    await until(() => h!.rest.live().some((r) => r.name === 'Cron'), 'the scheduled run', 15_000);
    // Back to batch: the schedule is removed.
    await h.put(restProfile({ mode: 'batch' }));
    const queue = new Queue('sync', { connection: h.sc.ctx.redis, prefix: h.sc.prefix });
    expect(await queue.getJobSchedulers()).toEqual([]);
    await queue.close();
  });
});
