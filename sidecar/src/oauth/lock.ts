import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The cross-process refresh lock: `SET NX PX` with a random token, released only by its
 * holder (compare-and-delete), so a holder that overran its TTL cannot free a successor's
 * lock. One Redis, not Redlock: it serialises refreshes between sidecars sharing that Redis,
 * which is the only place their tokens live. The TTL outlasts the token request's deadline.
 */

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface HeldLock {
  release(): Promise<boolean>;
}

export class RefreshLock {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  async tryAcquire(key: string): Promise<HeldLock | null> {
    const token = randomBytes(16).toString('hex');
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return { release: async () => (await this.redis.eval(RELEASE, 1, key, token)) === 1 };
  }
}
