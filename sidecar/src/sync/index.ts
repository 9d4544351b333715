import type { ConnectionStore } from '../connections/store';
import type { ProxyService } from '../connections/proxy';
import type { SyncSink } from '../delivery/sync-sink';
import { AppError } from '../errors';
import type { Context, Module } from '../module';
import { syncRoutes } from './routes';
import type { Profile } from './schemas';
import { runView, SyncService } from './service';
import { SyncState } from './state';
import { LocalSite } from './stores/frappe-local';
import { FrappeRemoteStore } from './stores/frappe-remote';
import { RestStore } from './stores/rest';
import type { RemoteStore } from './stores/types';

export interface SyncModuleDeps {
  proxy: ProxyService;
  connections: ConnectionStore;
}

/** Concurrent sync jobs per process (each holds its own profile's lock). */
const WORKER_CONCURRENCY = 4;

/**
 * Data sync (docs/sync.md): profiles pushed by Frappe, runs as BullMQ jobs, remote calls
 * through Connections. It needs the Frappe site (the local store and the Sync Log live
 * there): standalone, its routes answer 503.
 */
export function createSyncModule(ctx: Context, deps: SyncModuleDeps): Module & { service: SyncService | null; sink: SyncSink | null } {
  if (!ctx.frappe) {
    return {
      name: 'sync',
      service: null,
      sink: null,
      routes({ private: r }) {
        r.use('/sync', () => {
          throw new AppError('unavailable', 'Data sync needs the Frappe site: set FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET.');
        });
      },
    };
  }
  const state = new SyncState(ctx.redis, ctx.prefix);
  const local = new LocalSite(ctx.frappe);
  const call = (id: string, req: Parameters<ProxyService['call']>[1]) => deps.proxy.call(id, req);
  // One store per profile config: rebuilt when the profile changes (a PUT replaces the object).
  const stores = new WeakMap<Profile, RemoteStore>();
  const remote = (_id: string, p: Profile): RemoteStore => {
    let s = stores.get(p);
    if (!s) {
      const r = p.remote;
      s = r.type === 'frappe' ? new FrappeRemoteStore(r, call) : new RestStore(r, call, async () => (await deps.connections.load(r.connection_id)).config.base_url);
      stores.set(p, s);
    }
    return s;
  };
  const service = new SyncService({
    redis: ctx.redis,
    prefix: ctx.prefix,
    state,
    local,
    log: ctx.log,
    concurrency: WORKER_CONCURRENCY,
    engine: {
      remote,
      secrets: (p) => deps.proxy.knownSecrets(p.remote.connection_id),
      progress: (run) => ctx.realtime.publish('integrations_sync_progress', runView(run)),
      conflict: (item) => ctx.realtime.publish('integrations_sync_conflict', item),
    },
  });
  let workerConnection: ReturnType<Context['connections']['open']> | null = null;
  return {
    name: 'sync',
    service,
    sink: createSyncSink(ctx, service),
    routes({ private: r }) {
      syncRoutes(r, service, state);
    },
    async start() {
      workerConnection = ctx.connections.open('sidecar-sync-worker', 'waiting');
      service.start(workerConnection);
    },
    async stop() {
      await service.stop();
      await workerConnection?.quit().catch(() => workerConnection?.disconnect());
    },
  };
}

/** How long a sync message id is remembered, so a repeated hand-off is a duplicate. */
const MESSAGE_TTL_S = 7 * 86400;

/** Outbox messages with `sync_profile_id` → one changes job per profile per batch (docs/sync.md §5). */
function createSyncSink(ctx: Context, service: SyncService): SyncSink {
  return {
    async acceptChanges(messages) {
      const accepted: string[] = [];
      const duplicates: string[] = [];
      const rejected: Awaited<ReturnType<SyncSink['acceptChanges']>>['rejected'] = [];
      const byProfile = new Map<string, typeof messages>();
      for (const m of messages) {
        const name = (m.payload as { name?: unknown } | null)?.name;
        if (typeof name !== 'string' || name === '' || (m.event_type !== 'sync.upsert' && m.event_type !== 'sync.delete')) {
          rejected.push({ id: m.id, code: 'sync_payload_invalid', message: 'A sync message needs event_type sync.upsert or sync.delete and payload {name}.' });
          continue;
        }
        const list = byProfile.get(m.sync_profile_id) ?? [];
        list.push(m);
        byProfile.set(m.sync_profile_id, list);
      }
      for (const [pid, list] of byProfile) {
        const p = await service.profile(pid);
        if (!p || !p.enabled) {
          for (const m of list) rejected.push({ id: m.id, code: 'sync_profile_not_found', message: `Sync profile ${pid} not found or disabled.` });
          continue;
        }
        const pipe = ctx.redis.pipeline();
        for (const m of list) pipe.set(`${ctx.prefix}:sync:msg:${m.id}`, '1', 'EX', MESSAGE_TTL_S, 'NX');
        const res = (await pipe.exec()) ?? [];
        const fresh = list.filter((m, i) => {
          const isNew = res[i]?.[1] === 'OK';
          (isNew ? accepted : duplicates).push(m.id);
          return isNew;
        });
        const name = (m: (typeof list)[number]) => (m.payload as { name: string }).name;
        if (fresh.length) {
          await service.changes(pid, fresh.filter((m) => m.event_type === 'sync.upsert').map(name), fresh.filter((m) => m.event_type === 'sync.delete').map(name)).catch(async (err: Error) => {
            // Not queued: forget the ids, so the re-push is taken as new.
            await ctx.redis.del(...fresh.map((m) => `${ctx.prefix}:sync:msg:${m.id}`));
            throw err;
          });
        }
      }
      return { accepted, duplicates, rejected };
    },
  };
}
