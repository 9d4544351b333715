import { Redis } from 'ioredis';
import { RedisProcess, startSentinel } from './processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `SENTINEL MASTER <name>`'s flat reply as an object. */
async function sentinelView(port: number, master: string): Promise<Record<string, string>> {
  const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  r.on('error', () => {});
  try {
    await r.connect();
    const flat = (await r.call('SENTINEL', 'MASTER', master)) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
    return out;
  } finally {
    r.disconnect();
  }
}

export interface SentinelTopology {
  master: string;
  primary: RedisProcess;
  replica: RedisProcess;
  sentinelPorts: number[];
  /** `REDIS_SENTINELS` for a sidecar. */
  sentinelsEnv: string;
  /** The port the Sentinels currently name as primary. */
  primaryPort(): Promise<number>;
}

/**
 * A primary, one replica and three Sentinels (quorum 2), all from the `redis-server` binary on
 * free ports in temp directories, with short detection times (1 s) so a failover takes seconds.
 * Resolves once the replica is in sync and every Sentinel knows the replica and the other two.
 */
export async function startSentinelTopology(master = 'ia-ha'): Promise<SentinelTopology> {
  const primary = await RedisProcess.start({ args: ['--appendonly', 'yes'] });
  const replica = await RedisProcess.start({ args: ['--appendonly', 'yes', '--replicaof', '127.0.0.1', String(primary.port)] });
  const link = new Redis(replica.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
  try {
    const synced = Date.now() + 15_000;
    while (!(await link.info('replication')).includes('master_link_status:up')) {
      if (Date.now() > synced) throw new Error('the replica did not sync with the primary');
      await sleep(100);
    }
  } finally {
    link.disconnect();
  }
  const sentinels = [];
  for (let i = 0; i < 3; i++) {
    sentinels.push(await startSentinel({ masterName: master, masterPort: primary.port, quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 5000 }));
  }
  const ports = sentinels.map((s) => s.port);
  const until = Date.now() + 30_000;
  for (;;) {
    const views = await Promise.all(ports.map((p) => sentinelView(p, master).catch(() => ({}) as Record<string, string>)));
    if (views.every((v) => v['num-slaves'] === '1' && v['num-other-sentinels'] === '2')) break;
    if (Date.now() > until) throw new Error(`Sentinels did not discover the topology: ${JSON.stringify(views)}`);
    await sleep(200);
  }
  return {
    master,
    primary,
    replica,
    sentinelPorts: ports,
    sentinelsEnv: ports.map((p) => `127.0.0.1:${p}`).join(','),
    async primaryPort() {
      const v = await sentinelView(ports[0]!, master);
      return Number(v.port);
    },
  };
}
