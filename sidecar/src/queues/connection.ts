import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (blocking commands must
 * not time out); API connections fail fast instead so a request never hangs on a dead Redis.
 */
export function createRedis(url: string, purpose: 'worker' | 'api', name: string): Redis {
  const opts: RedisOptions =
    purpose === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name }
      : { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5000, connectionName: name };
  return new Redis(url, opts);
}
