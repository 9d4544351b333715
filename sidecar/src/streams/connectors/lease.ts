import type { Redis } from 'ioredis';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One holder per key across sidecar processes: taken with SET NX PX, renewed and released only
 * by its holder (compare in a script), taken over by another process once it expires unrenewed
 * (the holder died or stalled).
 */
export class Lease {
  constructor(
    private readonly redis: Redis,
    readonly holder: string,
    private readonly ttlMs: number,
  ) {}

  async acquire(key: string): Promise<boolean> {
    return (await this.redis.set(key, this.holder, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** False when this process no longer holds it (expired, taken over, deleted). */
  async renew(key: string): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, key, this.holder, this.ttlMs)) === 1;
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key, this.holder);
  }
}
