import { describe, expect, it } from 'vitest';
import { isRedisUnavailable, ReplicationError } from './redis-errors';

describe('isRedisUnavailable', () => {
  it('recognises what ioredis and Redis say while Redis cannot be used', () => {
    for (const message of [
      'connect ECONNREFUSED 127.0.0.1:6379',
      'read ECONNRESET',
      "Stream isn't writeable and enableOfflineQueue options is false",
      'Connection is closed.',
      'Command timed out',
      'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
      "READONLY You can't write against a read only replica.",
      'LOADING Redis is loading the dataset in memory',
      'All sentinels are unreachable. Retrying from scratch after 200ms.',
      "Redis refused the inbound endpoint config: Stream isn't writeable and enableOfflineQueue options is false",
    ]) {
      expect(isRedisUnavailable(new Error(message)), message).toBe(true);
    }
    expect(isRedisUnavailable(new ReplicationError(0, 1, 1000))).toBe(true);
  });

  it('leaves bugs and bad data alone (they stay 500s)', () => {
    for (const message of ['WRONGTYPE Operation against a key holding the wrong kind of value', 'ERR Error running script', "Cannot read properties of undefined (reading 'st')"]) {
      expect(isRedisUnavailable(new Error(message)), message).toBe(false);
    }
    expect(isRedisUnavailable('ECONNREFUSED')).toBe(false);
  });
});
