import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import type { FastRoute } from './http/fast-route';
import type { Redis } from 'ioredis';
import type { Config } from './config';
import type { FrappeClient } from './frappe/client';
import type { Realtime } from './frappe/realtime';
import type { Logger } from './observability/logger';
import type { KeyRing } from './secrets/keyring';
import type { Metrics } from './observability/metrics';
import type { RedisConnections } from './queues/connection';

/** What every domain module receives. Job data and logs never carry secrets; config may. */
export interface Context {
  config: Config;
  /** Shared connection for commands (not for blocking reads); fails at once while Redis is unreachable. */
  redis: Redis;
  /** Opens the other connections (workers, blocking reads) to the same Redis, watched and closed together. */
  connections: RedisConnections;
  /**
   * Resolves once the writes made so far on `redis` reached the configured replicas
   * (REDIS_WAIT_REPLICAS; at once without). Call it before acknowledging a write.
   */
  replicated: () => Promise<void>;
  /** Key prefix for every key this sidecar writes; BullMQ queues use it as their prefix too. */
  prefix: string;
  log: Logger;
  metrics: Metrics;
  /** Null in standalone mode: results stay in Redis and are served by the API. */
  frappe: FrappeClient | null;
  realtime: Realtime;
  /** Seals and opens secrets at rest (the key ring; never stored in Redis). */
  secrets: KeyRing;
}

/**
 * A domain (delivery, inbound, streams…). `routes` gets a public router (routes that
 * authenticate themselves) and a private one behind Bearer auth and JSON parsing.
 * `fastRoutes` are Bearer-authenticated JSON routes served ahead of Express (hot paths only).
 * `upgrade` gets the HTTP server's upgrade requests (WebSockets) and returns whether it took one.
 * `drain` is called first at shutdown, before HTTP closes (long-lived responses end there);
 * `stop` is called in reverse order after HTTP has closed.
 */
export interface Module {
  name: string;
  routes?(r: { public: Router; private: Router }): void;
  fastRoutes?(): FastRoute[];
  start?(): Promise<void>;
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  drain?(): Promise<void>;
  stop?(): Promise<void>;
  health?(): Promise<Record<string, unknown>>;
}
