import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { createDeliveryModule } from './delivery';
import { FrappeClient } from './frappe/client';
import { Realtime } from './frappe/realtime';
import { createHttpApp } from './http/server';
import { resolveToken } from './http/token';
import { createInboundModule } from './inbound';
import type { Context, Module } from './module';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { createRedis } from './queues/connection';
import { startEmbeddedRedis, type EmbeddedRedis } from './queues/embedded-redis';

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
  let embedded: EmbeddedRedis | null = null;
  const redisUrl = config.REDIS_URL ?? (embedded = await startEmbeddedRedis(config.DATA_DIR, log)).url;
  const redis = createRedis(redisUrl, 'api', 'sidecar-api');
  const realtimeRedis = config.realtime ? createRedis(config.realtime.redisUrl, 'api', 'sidecar-realtime') : null;
  const { token, generated } = resolveToken(config.SIDECAR_TOKEN, config.DATA_DIR);
  const metrics = createMetrics();
  const ctx: Context = {
    config,
    redis,
    redisUrl,
    prefix: config.REDIS_PREFIX,
    log,
    metrics,
    frappe: opts.frappe !== undefined ? opts.frappe : config.frappe ? new FrappeClient(config.frappe) : null,
    realtime: new Realtime(realtimeRedis, config.realtime?.site ?? '', log),
  };
  const modules: Module[] = [createDeliveryModule(ctx), createInboundModule(ctx)];
  const started: Module[] = [];
  let server: Server | null = null;

  const shutdown = async () => {
    if (server) {
      const s = server;
      await new Promise<void>((ok) => {
        s.close(() => ok());
        s.closeIdleConnections();
        setTimeout(() => s.closeAllConnections(), 5000).unref();
      });
    }
    for (const m of [...started].reverse()) await m.stop?.().catch((err: Error) => log.error({ err, module: m.name }, 'stop failed'));
    await ctx.realtime.close();
    realtimeRedis?.disconnect();
    await redis.quit().catch(() => redis.disconnect());
    await embedded?.stop();
  };

  const health = async () => {
    const began = Date.now();
    const redisOk = await redis.ping().then(() => true, () => false);
    const parts: Record<string, unknown> = {};
    for (const m of modules) if (m.health) parts[m.name] = await m.health().catch((e: Error) => ({ error: e.message }));
    return {
      ok: redisOk,
      redis: { ok: redisOk, embedded: embedded !== null, ping_ms: Date.now() - began },
      frappe: ctx.frappe ? 'connected' : 'standalone',
      uptime_s: Math.round(process.uptime()),
      ...parts,
    };
  };

  try {
    for (const m of modules) {
      await m.start?.();
      started.push(m);
    }
    server = await listen(createHttpApp({ token, log, metrics, modules, health, bodyTimeoutMs: config.BODY_TIMEOUT_MS }), config.PORT, config.HOST);
  } catch (err) {
    await shutdown();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info({ url, redis: embedded ? 'embedded' : 'external', frappe: ctx.frappe ? 'connected' : 'standalone' }, 'sidecar listening');

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= shutdown().then(() => log.info('sidecar stopped')));
  return { url, port, token, tokenGenerated: generated, ctx, stop };
}
