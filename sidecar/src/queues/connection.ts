import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger';
import { ReplicationError } from './redis-errors';

/** Where Redis is: one address, or the Sentinels that know the current primary of `master`. */
export type RedisTarget =
  | { url: string }
  | { sentinels: ReadonlyArray<{ host: string; port: number }>; master: string };

/**
 * What a connection does while Redis is unreachable.
 * - `command`: fails at once (no offline queue, nothing retried on reconnect), so an HTTP
 *   request answers 503 instead of waiting; `commandTimeout` bounds a Redis that accepts the
 *   connection but does not answer.
 * - `waiting`: waits for Redis to come back (BullMQ's worker and blocking reads need this;
 *   so do the delivery scripts, whose outcome must be recorded once Redis is back).
 */
export type Purpose = 'command' | 'waiting';

const PURPOSE: Record<Purpose, RedisOptions> = {
  command: { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5000 },
  waiting: { maxRetriesPerRequest: null },
};

/**
 * Reconnect soon after a loss (capped at 2 s, jittered so N processes do not reconnect in step):
 * after a Sentinel failover the new primary should be found within a couple of seconds.
 */
const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000) + Math.floor(Math.random() * 100);

/** A primary demoted to replica (Sentinel failover) answers writes with READONLY: reconnect to the new one. */
const reconnectOnError = (err: Error) => err.message.startsWith('READONLY');

type Health = 'connecting' | 'up' | 'down';

/**
 * Every connection to one Redis (the sidecar's, or Frappe's for realtime), opened with the
 * same target and watched together:
 * - connection errors go to the structured logger: one warning when Redis becomes unreachable,
 *   one info line when every connection is back, retries at debug (ioredis would otherwise
 *   print `Unhandled error event` stack traces on stderr for each attempt);
 * - BullMQ's own connections are `duplicate()`s of ours, so they are part of the group too;
 * - `close()` is bounded whatever Redis does: after the grace period every connection is
 *   dropped, which rejects the commands still waiting and lets their callers finish.
 */
export class RedisConnections {
  private readonly health = new Map<Redis, Health>();
  private readonly names = new Map<Redis, string>();
  private reported: 'up' | 'down' | null = null;
  private downSince = 0;
  private closing = false;

  constructor(
    readonly target: RedisTarget,
    private readonly log: Logger,
    /** Names this Redis in log lines (`sidecar`, `frappe-realtime`). */
    readonly name = 'sidecar',
  ) {}

  /** How long Redis has been unreachable (0 while it is not). */
  unavailableForMs(): number {
    return this.reported === 'down' ? Date.now() - this.downSince : 0;
  }

  open(connectionName: string, purpose: Purpose, extra: RedisOptions = {}): Redis {
    const base: RedisOptions =
      'url' in this.target
        ? {}
        : { sentinels: [...this.target.sentinels], name: this.target.master, sentinelRetryStrategy: retryStrategy };
    const options: RedisOptions = { retryStrategy, reconnectOnError, ...base, ...PURPOSE[purpose], ...extra, connectionName };
    return new GroupRedis(this, options as Options, 'url' in this.target ? this.target.url : undefined);
  }

  /** Called by {@link GroupRedis}: registers a new connection and watches it. */
  watch(redis: Redis, connectionName: string): void {
    this.names.set(redis, connectionName);
    this.health.set(redis, 'connecting');
    let lastError: Error | null = null;
    redis.on('error', (err: Error) => {
      lastError = err;
      this.log.debug({ redis: this.name, connection: connectionName, err: err.message }, 'redis connection error');
    });
    redis.on('sentinelError', (err: Error) =>
      this.log.debug({ redis: this.name, connection: connectionName, err: err.message }, 'redis sentinel error'),
    );
    redis.on('ready', () => {
      lastError = null;
      this.mark(redis, 'up');
    });
    redis.on('reconnecting', () => this.mark(redis, 'down', lastError?.message ?? 'connection closed'));
    redis.on('end', () => {
      this.health.delete(redis);
      this.names.delete(redis);
      this.settle();
    });
  }

  private mark(redis: Redis, h: Health, err?: string): void {
    if (!this.health.has(redis) || this.closing) return;
    this.health.set(redis, h);
    if (h === 'down' && this.reported !== 'down') {
      this.reported = 'down';
      this.downSince = Date.now();
      this.log.warn({ redis: this.name, connection: this.names.get(redis), err }, 'redis unreachable');
    } else this.settle();
  }

  private settle(): void {
    if (this.closing) return;
    // A connection still making its first connect (or a lazy one) is neither up nor down.
    const states = [...this.health.values()];
    if (states.includes('down') || !states.includes('up')) return;
    if (this.reported === 'down') this.log.info({ redis: this.name, down_ms: Date.now() - this.downSince }, 'redis reachable again');
    this.reported = 'up';
  }

  /** Resolves once every connection opened so far (except lazy ones) is ready; rejects after `ms`. */
  async ready(ms: number): Promise<void> {
    const pending = [...this.health.keys()].filter((r) => r.status !== 'ready' && r.status !== 'wait');
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(pending.map((r) => new Promise<void>((ok) => (r.status === 'ready' ? ok() : r.once('ready', () => ok()))))),
        new Promise<never>((_ok, fail) => {
          timer = setTimeout(() => fail(new Error(`Redis (${describeTarget(this.target)}) did not answer within ${ms / 1000} s`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits until the writes made so far on `redis` reached `replicas` replicas (Redis `WAIT`),
   * so an acknowledged write survives a failover. Calls in the same event-loop turn share one
   * `WAIT` (it covers every earlier write of the connection, and blocks the connection while it
   * waits). `replicas` 0 is a no-op.
   */
  waiter(redis: Redis, replicas: number, timeoutMs: number): () => Promise<void> {
    if (replicas === 0) return () => Promise.resolve();
    let next: Promise<void> | null = null;
    return () =>
      (next ??= new Promise<void>((ok) => setImmediate(ok)).then(async () => {
        next = null;
        const acked = await redis.wait(replicas, timeoutMs);
        if (acked < replicas) throw new ReplicationError(acked, replicas, timeoutMs);
      }));
  }

  /**
   * Quits every connection still open (each after its owner had the chance to close it), and
   * drops those that do not finish within `graceMs` (a dead Redis cannot answer QUIT).
   */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    const open = [...this.health.keys()];
    const quits = Promise.all(open.map((r) => (r.status === 'ready' ? r.quit().catch(() => r.disconnect()) : r.disconnect())));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([quits, new Promise<void>((ok) => (timer = setTimeout(ok, graceMs)))]);
    clearTimeout(timer);
    this.disconnectAll();
  }

  /** Drops every connection at once: commands waiting on them are rejected, so nothing hangs on Redis. */
  disconnectAll(): void {
    this.closing = true;
    for (const r of [...this.health.keys()]) r.disconnect();
  }
}

/** Options as the `Redis` constructor overloads want them (replies in RESP2 shapes, the default). */
type Options = RedisOptions & { replyMapping?: 'legacy' };

/** A connection that belongs to a group: its duplicates (BullMQ makes its own) join the group too. */
class GroupRedis extends Redis {
  constructor(
    private readonly group: RedisConnections,
    options: Options,
    url?: string,
  ) {
    super(...((url === undefined ? [options] : [url, options]) as [string, Options]));
    group.watch(this, options.connectionName ?? '');
  }

  /**
   * ioredis leaves a connection that is between reconnect attempts in `reconnecting` when it
   * is disconnected: the next attempt is cancelled, but its queued commands stay pending
   * forever and it never ends, so a stop would wait on them. Closing it the way ioredis closes
   * a connection that never connected ends it and rejects them.
   */
  override disconnect(reconnect = false): void {
    if (!reconnect && this.status === 'reconnecting') this.status = 'wait';
    super.disconnect(reconnect);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new GroupRedis(this.group, { ...this.options, ...override } as Options);
  }
}

function describeTarget(t: RedisTarget): string {
  if ('url' in t) {
    const u = new URL(t.url);
    return `${u.hostname}:${u.port || 6379}`;
  }
  return `master ${t.master} via Sentinels ${t.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
}
