import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after';

const now = Date.UTC(2024, 4, 1, 12, 0, 0); // Wed, 01 May 2024 12:00:00 GMT

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['120', 120_000],
    ['  30 ', 30_000],
    ['Wed, 01 May 2024 12:02:00 GMT', 120_000],
    ['Wed, 01 May 2024 12:00:00 GMT', 0],
    ['Wednesday, 01-May-24 12:00:10 GMT', 10_000],
    ['Wed May  1 12:01:00 2024', 60_000],
  ])('%j → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['negative', '-5'],
    ['fractional', '1.5'],
    ['words', 'soon'],
    ['too large to be exact', '9'.repeat(30)],
    ['past date', 'Wed, 01 May 2024 11:59:59 GMT'],
    ['far past RFC 850 date', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['impossible date', 'Fri, 31 Feb 2025 12:00:00 GMT'],
    ['non-GMT zone', 'Wed, 01 May 2024 14:00:00 +0200'],
    ['ISO-8601', '2024-05-01T12:05:00Z'],
    ['what Date.parse would accept', 'foo 1'],
  ])('%s → null', (_, value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });
});
