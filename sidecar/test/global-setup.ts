import { Redis } from 'ioredis';

/** Fails the run at once, with the fix, when the Redis the tests share is not there. */
export default async function setup() {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } catch {
    throw new Error(`Tests need Redis at ${url} (set TEST_REDIS_URL, or run: redis-server --daemonize yes)`);
  } finally {
    r.disconnect();
  }
}
