import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FrappeSite, Receiver, standardSigned } from './redis/frappe';
import { killAll, SidecarChild } from './redis/processes';
import { startSentinelTopology } from './redis/sentinel-topology';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STD_KEY = `whsec_${Buffer.from('sentinel-failover-test-key-01234').toString('base64')}`;
const MESSAGES = 3000;
const BATCH = 20;
const EVENTS = 600;
const SENDERS = 4;

/**
 * High availability on Redis Sentinel: two sidecars, a primary, one replica and three
 * Sentinels. Outbound messages (posted like Frappe's outbox: a batch without 202 is sent again)
 * and signed inbound events (resent like a provider until 2xx) flow while the primary is
 * killed with -9; the replica is promoted and the old primary, restarted as a supervisor would,
 * rejoins as a replica. Every message answered 202 must reach the receiver and every event
 * answered 2xx must reach Frappe.
 */
describe('Redis Sentinel failover under load', () => {
  afterAll(killAll);

  it('kill -9 of the primary mid-load loses no acknowledged message or event', { timeout: 240_000 }, async () => {
    const topo = await startSentinelTopology();
    const frappe = await new FrappeSite().start();
    const rx = await new Receiver().start();
    const env = {
      REDIS_SENTINELS: topo.sentinelsEnv, REDIS_SENTINEL_MASTER: topo.master, REDIS_PREFIX: 'ha',
      FRAPPE_URL: frappe.url, FRAPPE_API_KEY: 'k', FRAPPE_API_SECRET: 's', LOG_LEVEL: 'warn',
    };
    const sidecars = await Promise.all([new SidecarChild(env).start(), new SidecarChild(env).start()]);
    try {
      const [a] = sidecars;
      expect((await a!.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none' })).status).toBe(200);
      expect((await a!.api('PUT', '/v1/inbound-endpoints/in', { provider: 'standard', secret: STD_KEY })).status).toBe(200);

      const acked = new Set<string>();
      const ackedEvents = new Set<string>();
      const refused = { outbound: 0, inbound: 0 };
      let turn = 0;
      const next = () => sidecars[turn++ % sidecars.length]!;

      const outbound = (async () => {
        for (let i = 0; i < MESSAGES; i += BATCH) {
          const messages = Array.from({ length: BATCH }, (_, j) => ({ id: `m${i + j}`, endpoint_id: 'rx', event_type: 't', payload: { n: i + j } }));
          for (;;) {
            const res = await next().api('POST', '/v1/messages', { messages }, 5000).catch(() => null);
            if (res?.status === 202) {
              const body = (await res.json()) as { accepted: string[]; duplicates: string[] };
              for (const id of [...body.accepted, ...body.duplicates]) acked.add(id);
              break;
            }
            refused.outbound++;
            await res?.body?.cancel();
            await sleep(100);
          }
          await sleep(10);
        }
      })();
      let sent = 0;
      const inbound = Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (sent < EVENTS) {
            const id = `evt-${sent++}`;
            for (;;) {
              const sc = next();
              const res = await fetch(`${sc.url}/v1/inbound/in`, { method: 'POST', ...standardSigned(STD_KEY, id), signal: AbortSignal.timeout(5000) }).catch(() => null);
              await res?.body?.cancel();
              if (res && res.status >= 200 && res.status < 300) {
                ackedEvents.add(id);
                break;
              }
              refused.inbound++;
              await sleep(100);
            }
            await sleep(10);
          }
        }),
      );

      // Mid-load: kill the primary once a third of each kind is acknowledged.
      await expect.poll(() => acked.size >= MESSAGES / 3 && ackedEvents.size >= EVENTS / 3, { timeout: 60_000, interval: 50 }).toBe(true);
      const oldPrimary = topo.primary.port;
      const atKill = { messages: acked.size, events: ackedEvents.size };
      const killedAt = Date.now();
      await topo.primary.kill9();
      await expect.poll(() => topo.primaryPort(), { timeout: 30_000, interval: 200 }).toBe(topo.replica.port);
      const failoverMs = Date.now() - killedAt;
      // A supervisor restarts the dead node; the Sentinels make it a replica of the new primary.
      await topo.primary.start();

      await Promise.all([outbound, inbound]);
      const drained = Date.now() + 120_000;
      while ([...acked].some((id) => !rx.ids.has(id)) || [...ackedEvents].some((id) => !frappe.inbound.has(`in|${id}`))) {
        if (Date.now() > drained) break;
        await sleep(250);
      }
      const lostMessages = [...acked].filter((id) => !rx.ids.has(id));
      const lostEvents = [...ackedEvents].filter((id) => !frappe.inbound.has(`in|${id}`));
      const counts = {
        failover: { old_primary: oldPrimary, new_primary: topo.replica.port, detected_ms: failoverMs, acknowledged_before_kill: atKill },
        outbound: { accepted: acked.size, delivered: [...acked].filter((id) => rx.ids.has(id)).length, lost: lostMessages.length, requests_at_receiver: rx.requests, refused_503_or_error: refused.outbound },
        inbound: { accepted: ackedEvents.size, forwarded: [...ackedEvents].filter((id) => frappe.inbound.has(`in|${id}`)).length, lost: lostEvents.length, refused_503_or_error: refused.inbound },
        sidecar_log_lines_warn_or_above: sidecars.map((sc) => sc.logs().filter((l) => l.level >= 40).map((l) => l.msg)),
      };
      console.log(`sentinel failover: ${JSON.stringify(counts)}`);
      expect(acked.size).toBe(MESSAGES);
      expect(ackedEvents.size).toBe(EVENTS);
      expect(lostMessages).toEqual([]);
      expect(lostEvents).toEqual([]);
      for (const sc of sidecars) expect(sc.stderr).toBe('');
    } finally {
      await Promise.all(sidecars.map((s) => s.stop()));
      await Promise.all([frappe.close(), rx.close()]);
    }
  });

  it('a write the replica did not get is answered 503, never acknowledged and then lost in the failover', { timeout: 120_000 }, async () => {
    const topo = await startSentinelTopology('ia-lag');
    const rx = await new Receiver().start();
    const sc = await new SidecarChild({ REDIS_SENTINELS: topo.sentinelsEnv, REDIS_SENTINEL_MASTER: topo.master, LOG_LEVEL: 'warn' }).start();
    const events = async () => ((await (await sc.api('GET', '/v1/inbound-endpoints/in/events')).json()) as Array<{ provider_event_id: string }>).map((e) => e.provider_event_id);
    try {
      expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none', enabled: false })).status).toBe(200);
      expect((await sc.api('PUT', '/v1/inbound-endpoints/in', { provider: 'standard', secret: STD_KEY })).status).toBe(200);
      // The replica stalls and loses its link: writes still reach the primary, not the node that will replace it.
      topo.replica.child!.kill('SIGSTOP');
      const primary = new Redis(topo.primary.port, '127.0.0.1');
      await primary.call('CLIENT', 'KILL', 'TYPE', 'replica');
      primary.disconnect();
      const message = { messages: [{ id: 'lagging', endpoint_id: 'rx', event_type: 't', payload: {} }] };
      const outbound = await sc.api('POST', '/v1/messages', message);
      const inbound = await fetch(`${sc.url}/v1/inbound/in`, { method: 'POST', ...standardSigned(STD_KEY, 'evt-lagging') });

      await topo.primary.kill9();
      topo.replica.child!.kill('SIGCONT');
      await expect.poll(() => topo.primaryPort(), { timeout: 30_000, interval: 200 }).toBe(topo.replica.port);
      await topo.primary.start();
      await expect.poll(async () => (await fetch(`${sc.url}/healthz`)).status, { timeout: 20_000, interval: 250 }).toBe(200);

      // What was acknowledged must have survived; what was refused is simply sent again.
      const afterFailover = { message: (await sc.api('GET', '/v1/messages/lagging')).status, event: (await events()).includes('evt-lagging') };
      if (outbound.status === 202) expect(afterFailover.message, 'message acknowledged with 202, then lost').toBe(200);
      if (inbound.status === 200) expect(afterFailover.event, 'event acknowledged with 200, then lost').toBe(true);
      expect([outbound.status, inbound.status]).toEqual([503, 503]);
      expect(((await outbound.json()) as { error: { code: string } }).error.code).toBe('unavailable');
      expect(outbound.headers.get('retry-after')).toMatch(/^\d+$/);

      await expect.poll(async () => (await sc.api('POST', '/v1/messages', message)).status, { timeout: 20_000, interval: 250 }).toBe(202);
      await expect.poll(async () => (await fetch(`${sc.url}/v1/inbound/in`, { method: 'POST', ...standardSigned(STD_KEY, 'evt-lagging') })).status, { timeout: 20_000, interval: 250 }).toBe(200);
      expect(await events()).toContain('evt-lagging');
      expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none', enabled: true })).status).toBe(200);
      await expect.poll(() => rx.ids.has('lagging'), { timeout: 20_000 }).toBe(true);
    } finally {
      if (topo.replica.child?.signalCode === null) topo.replica.child.kill('SIGCONT');
      await sc.stop();
      await rx.close();
    }
  });
});
