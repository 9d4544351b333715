import { describe, expect, it } from 'vitest';
import { compareIds } from './ids';

describe('compareIds', () => {
  it('orders by milliseconds, then sequence, numerically', () => {
    expect(compareIds('999-0', '1000-0')).toBe(-1);
    expect(compareIds('1000-10', '1000-9')).toBe(1);
    expect(compareIds('1000-2', '1000-2')).toBe(0);
    expect(compareIds('1000', '1000-0')).toBe(0);
    expect(['1000-10', '999-5', '1000-9', '0-0'].sort(compareIds)).toEqual(['0-0', '999-5', '1000-9', '1000-10']);
    expect(compareIds('1000', '1000-1')).toBe(-1);
    expect(compareIds('1764536400123-0', '1764536400124-0')).toBe(-1);
    expect(compareIds('1764536400123-12', '1764536400123-9')).toBe(1);
  });
});

describe('EventId', () => {
  it('normalises what a client sends: a bare ms gets -0, leading zeros go', async () => {
    const { EventId } = await import('./schemas');
    expect(EventId.parse('1000')).toBe('1000-0');
    expect(EventId.parse('0001000-007')).toBe('1000-7');
    expect(EventId.safeParse('abc').success).toBe(false);
  });
});
