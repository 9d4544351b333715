import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { createConnectionsModule } from './connections';
import { createDeliveryModule } from './delivery';
import { FrappeClient } from './frappe/client';
import { Realtime } from './frappe/realtime';
import { createHttpApp } from './http/server';
import { resolveToken } from './http/token';
import { createInboundModule } from './inbound';
import { createStreamsModule } from './streams';
import { createConnectorsModule } from './streams/connectors';
import { createSyncModule } from './sync';
import type { Context, Module } from './module';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { RedisConnections, type RedisTarget } from './queues/connection';
import { startEmbeddedRedis, type EmbeddedRedis } from './queues/embedded-redis';
import { loadKeyRing } from './secrets/load';

export interface Sidecar {
  url: string;
  port: number;
  token: string;
  tokenGenerated: boolean;
  ctx: Context;
  stop(): Promise<void>;
}

export interface SidecarOptions {
  logger?: Logger;
  /** Replaces the Frappe client (tests point it at a stand-in). */
  frappe?: FrappeClient | null;
  /** Called when the sidecar cannot go on (the embedded Redis keeps dying); main.ts exits non-zero. */
  onFatal?: (err: Error) => void;
}

/** How long start-up waits for Redis before giving up (the supervisor retries). */
const STARTUP_REDIS_MS = 30_000;
/** /healthz answers within this, whatever Redis does. */
const HEALTH_DEADLINE_MS = 1000;
/** While Redis is reachable a stop lets in-flight work finish: an attempt lasts at most its 60 s timeout. */
const STOP_GRACE_MS = 70_000;
/** Once Redis is unreachable during a stop, waiting cannot help: its connections are dropped after this. */
const STOP_GRACE_REDIS_DOWN_MS = 2000;

/** Resolves to `fallback` if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((ok) => (timer = setTimeout(() => ok(fallback), ms)))]).finally(() => clearTimeout(timer));
}

export class StartupError extends Error {
  override name = 'StartupError';
}

function listen(app: ReturnType<typeof createHttpApp>, port: number, host: string): Promise<Server> {
  return new Promise((ok, fail) => {
    // Express 5 hands listen errors to the callback as well as emitting them.
    const s = app.listen(port, host, (err?: Error) => {
      if (!err) return ok(s);
      const code = (err as NodeJS.ErrnoException).code;
      fail(
        code === 'EADDRINUSE'
          ? new StartupError(`port ${port} on ${host} is already in use: stop the other process or set PORT`)
          : err,
      );
    });
  });
}

/**
 * Starts a whole sidecar: Redis (embedded when REDIS_URL is unset), the domain modules and
 * HTTP. `stop()` closes in the order that loses nothing: HTTP first (no new work), then the
 * modules' workers (in-flight jobs finish or return to the queue), then Redis. A start that
 * fails half-way undoes what it started, so no redis-server or worker outlives it.
 */
export async function startSidecar(config: Config, opts: SidecarOptions = {}): Promise<Sidecar> {
  const log = opts.logger ?? createLogger(config.LOG_LEVEL);
  // Before Redis: a key ring that cannot be loaded must stop the start, not surface per request.
  const keyRing = loadKeyRing(config);
  if (keyRing.generated) log.warn({ path: keyRing.path }, 'generated a key ring for secrets at rest: back this file up; every sidecar process needs the same keys');
  let embedded: EmbeddedRedis | null = null;
  let target: RedisTarget;
  if (config.sentinel) target = config.sentinel;
  else if (config.REDIS_URL) target = { url: config.REDIS_URL };
  else {
    embedded = await startEmbeddedRedis(config.DATA_DIR, log, (err) => {
      log.fatal({ err: err.message }, 'embedded redis-server keeps failing; exiting so the supervisor restarts the sidecar');
      opts.onFatal?.(err);
    });
    target = { url: embedded.url };
  }
  const connections = new RedisConnections(target, log);
  const redis = connections.open('sidecar-api', 'command');
  const realtimeConnections = config.realtime ? new RedisConnections({ url: config.realtime.redisUrl }, log, 'frappe-realtime') : null;
  const realtimeRedis = realtimeConnections?.open('sidecar-realtime', 'command') ?? null;
  const { token, generated } = resolveToken(config.SIDECAR_TOKEN, config.DATA_DIR);
  const metrics = createMetrics();
  const ctx: Context = {
    config,
    redis,
    connections,
    replicated: connections.waiter(redis, config.waitReplicas, config.REDIS_WAIT_TIMEOUT_MS),
    prefix: config.REDIS_PREFIX,
    log,
    metrics,
    frappe: opts.frappe !== undefined ? opts.frappe : config.frappe ? new FrappeClient(config.frappe) : null,
    realtime: new Realtime(realtimeRedis, config.realtime?.site ?? '', log),
    secrets: keyRing.ring,
  };
  const streams = createStreamsModule(ctx);
  const inbound = createInboundModule(ctx);
  const conns = createConnectionsModule(ctx);
  const connectors = createConnectorsModule(ctx, { inbound, connections: conns });
  const sync = createSyncModule(ctx, { proxy: conns.proxy, connections: conns.store });
  const modules: Module[] = [createDeliveryModule(ctx, { streams: streams.sink, sync: sync.sink }), inbound, conns, streams, connectors, sync];
  const started: Module[] = [];
  let server: Server | null = null;

  /**
   * Bounds a stop whatever Redis does: commands waiting for an unreachable Redis (a worker's
   * last script, BullMQ's own calls) would otherwise hold the stop forever. Dropping the
   * connections rejects them, so every module's stop() returns; what was in flight is retried
   * by BullMQ (stalled jobs) or by the stream consumer groups.
   */
  const dropConnectionsWhenStuck = () => {
    const began = Date.now();
    const timer = setInterval(() => {
      const stuck = connections.unavailableForMs() >= STOP_GRACE_REDIS_DOWN_MS || Date.now() - began >= STOP_GRACE_MS;
      if (!stuck) return;
      clearInterval(timer);
      log.warn({ redis_unavailable_ms: connections.unavailableForMs() }, 'stopping without waiting for Redis: dropping its connections');
      connections.disconnectAll();
    }, 250);
    return () => clearInterval(timer);
  };

  const shutdown = async () => {
    const cancelDrop = dropConnectionsWhenStuck();
    // Streams first: their subscribers keep connections open and are told to reconnect.
    for (const m of started) await m.drain?.().catch((err: Error) => log.error({ err, module: m.name }, 'drain failed'));
    if (server) {
      const s = server;
      await new Promise<void>((ok) => {
        s.close(() => ok());
        s.closeIdleConnections();
        setTimeout(() => s.closeAllConnections(), 5000).unref();
      });
    }
    for (const m of [...started].reverse()) await m.stop?.().catch((err: Error) => log.error({ err, module: m.name }, 'stop failed'));
    cancelDrop();
    await ctx.realtime.close();
    await realtimeConnections?.close();
    await connections.close();
    await embedded?.stop();
  };

  const health = async () => {
    const began = Date.now();
    const [redisOk, parts] = await Promise.all([
      within(redis.ping().then(() => true, () => false), HEALTH_DEADLINE_MS, false),
      Promise.all(
        modules.map(async (m) =>
          m.health ? [m.name, await within(m.health().catch((e: Error) => ({ error: e.message })), HEALTH_DEADLINE_MS, { error: 'no answer in time' })] : null,
        ),
      ),
    ]);
    return {
      ok: redisOk,
      redis: { ok: redisOk, embedded: embedded !== null, ping_ms: Date.now() - began },
      frappe: ctx.frappe ? 'connected' : 'standalone',
      uptime_s: Math.round(process.uptime()),
      ...Object.fromEntries(parts.filter((p) => p !== null)),
    };
  };

  try {
    await connections.ready(STARTUP_REDIS_MS).catch((err: Error) => {
      throw new StartupError(`${err.message}: is it running, and is REDIS_URL / REDIS_SENTINELS right?`);
    });
    for (const m of modules) {
      await m.start?.();
      started.push(m);
    }
    server = await listen(createHttpApp({ token, log, metrics, modules, health, bodyTimeoutMs: config.BODY_TIMEOUT_MS }), config.PORT, config.HOST);
  } catch (err) {
    await shutdown();
    throw err;
  }
  server.on('upgrade', (req, socket, head) => {
    if (!modules.some((m) => m.upgrade?.(req, socket, head))) socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info({ url, redis: embedded ? 'embedded' : config.sentinel ? 'sentinel' : 'external', frappe: ctx.frappe ? 'connected' : 'standalone' }, 'sidecar listening');

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= shutdown().then(() => log.info('sidecar stopped')));
  return { url, port, token, tokenGenerated: generated, ctx, stop };
}
