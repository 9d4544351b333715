import { describe, expect, it } from 'vitest';
import { hashCanon, localCanon, matchesFilters, remoteCanon, same, timestampMs, toLocalValue, toRemoteBody, toRemoteValue, TransformError, type LinkLookup } from './mapping';
import { FieldMap, ProfileInput } from './schemas';
import { msToNaive, naiveToMs } from './time';

const noLinks: LinkLookup = { toExternal: () => undefined, toLocal: () => undefined };
const field = (f: Record<string, unknown>) => FieldMap.parse({ local_field: 'x', remote_field: 'y', ...f });
const profile = (fields: unknown[]) =>
  ProfileInput.parse({ local_doctype: 'Customer', direction: 'both', remote: { type: 'frappe', connection_id: 'c', doctype: 'Customer' }, fields });

describe('sync mapping', () => {
  it('compares values as both stores hold them', () => {
    expect(same(5, '5')).toBe(true);
    expect(same(true, 1)).toBe(true);
    expect(same(null, '')).toBe(true);
    expect(same(undefined, [])).toBe(true);
    expect(same('a', 'b')).toBe(false);
    expect(same('5', '5.0')).toBe(true);
    expect(same({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(same(0, null)).toBe(false);
  });

  it('hashes equal content equally and different content differently', () => {
    expect(hashCanon({ a: 1, b: '' })).toBe(hashCanon({ b: null, a: '1' }));
    expect(hashCanon({ a: 1 })).not.toBe(hashCanon({ a: 2 }));
    expect(hashCanon({ a: 'x' })).not.toBe(hashCanon({ b: 'x' }));
  });

  it('renames, maps values both ways and scales numbers', () => {
    const p = profile([
      { local_field: 'customer_name', remote_field: 'name' },
      { local_field: 'group', remote_field: 'segment', transform: { type: 'value_map', map: { Commercial: 'b2b' }, default_remote: 'other' } },
      { local_field: 'credit', remote_field: 'money.cents', transform: { type: 'number', scale: 100, decimals: 0 } },
      { local_field: 'source', remote_field: 'source', transform: { type: 'constant', value: 'erp' } },
      { local_field: 'secret', remote_field: 'secret', rule: 'dont_sync' },
    ]);
    const body = toRemoteBody(p, localCanon(p, { customer_name: 'Ada', group: 'Commercial', credit: 12.345, secret: 's' }), noLinks, { constants: true });
    expect(body).toEqual({ name: 'Ada', segment: 'b2b', money: { cents: 1235 }, source: 'erp' });
    expect(remoteCanon(p, { name: 'Ada', segment: 'b2b', money: { cents: 1200 }, secret: 'z' }, noLinks)).toEqual({ customer_name: 'Ada', group: 'Commercial', credit: 12 });
    expect(toRemoteValue(p.fields[1]!, 'Individual', noLinks)).toBe('other');
  });

  it('converts dates between Frappe strings and remote formats', () => {
    const iso = field({ transform: { type: 'date', local_format: 'datetime', remote_format: 'iso' } });
    expect(toRemoteValue(iso, '2026-03-04 05:06:07', noLinks)).toBe('2026-03-04T05:06:07.000Z');
    expect(toLocalValue(iso, '2026-03-04T05:06:07Z', noLinks)).toBe('2026-03-04 05:06:07');
    const epoch = field({ transform: { type: 'date', local_format: 'date', remote_format: 'epoch_s' } });
    expect(toRemoteValue(epoch, '2026-03-04', noLinks)).toBe(Date.UTC(2026, 2, 4) / 1000);
    expect(toLocalValue(epoch, Date.UTC(2026, 2, 4) / 1000, noLinks)).toBe('2026-03-04');
    const dmy = field({ transform: { type: 'date', local_format: 'date', remote_format: 'dd/mm/yyyy' } });
    expect(toRemoteValue(dmy, '2026-03-04', noLinks)).toBe('04/03/2026');
    expect(toLocalValue(dmy, '04/03/2026', noLinks)).toBe('2026-03-04');
    expect(() => toLocalValue(dmy, '2026-03-04', noLinks)).toThrow(TransformError);
  });

  it('resolves links through the lookup and fails the record when it cannot', () => {
    const f = field({ transform: { type: 'link', profile_id: 'groups' } });
    const links: LinkLookup = { toExternal: (p, n) => (p === 'groups' && n === 'G1' ? 'ext-1' : undefined), toLocal: (p, e) => (p === 'groups' && e === 'ext-1' ? 'G1' : undefined) };
    expect(toRemoteValue(f, 'G1', links)).toBe('ext-1');
    expect(toLocalValue(f, 'ext-1', links)).toBe('G1');
    try {
      toRemoteValue(f, 'G2', links);
      expect.unreachable();
    } catch (err) {
      expect((err as TransformError).code).toBe('link_unresolved');
    }
  });

  it('evaluates Frappe-style filters', () => {
    const rec = { status: 'active', n: 5, tags: null, name: 'Acme Ltd' };
    expect(matchesFilters([['status', '=', 'active'], ['n', '>', 3]], rec)).toBe(true);
    expect(matchesFilters([['n', '<=', 4]], rec)).toBe(false);
    expect(matchesFilters([['status', 'in', ['active', 'trial']]], rec)).toBe(true);
    expect(matchesFilters([['status', 'not in', ['active']]], rec)).toBe(false);
    expect(matchesFilters([['tags', 'is', 'not set']], rec)).toBe(true);
    expect(matchesFilters([['name', 'like', 'acme%']], rec)).toBe(true);
    expect(matchesFilters([['name', 'like', '%corp']], rec)).toBe(false);
  });

  it('reads timestamps in ISO, epoch seconds and milliseconds', () => {
    expect(timestampMs('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(timestampMs(1767225600)).toBe(Date.UTC(2026, 0, 1));
    expect(timestampMs(1767225600000)).toBe(Date.UTC(2026, 0, 1));
    expect(timestampMs('')).toBeNull();
    expect(timestampMs('soon')).toBeNull();
  });

  it('converts Frappe naive datetimes in a site time zone, across DST', () => {
    expect(naiveToMs('2026-07-01 12:00:00.000000', 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 10));
    expect(naiveToMs('2026-01-01 12:00:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 0, 1, 11));
    expect(msToNaive(Date.UTC(2026, 6, 1, 10), 'Europe/Berlin')).toBe('2026-07-01 12:00:00.000000');
    expect(msToNaive(Date.UTC(2026, 0, 1, 11, 0, 0, 250), 'UTC')).toBe('2026-01-01 11:00:00.250000');
    expect(naiveToMs('not a date', 'UTC')).toBeNull();
  });

  it('refuses profiles that cannot work', () => {
    const base = { local_doctype: 'C', direction: 'both', remote: { type: 'frappe', connection_id: 'c', doctype: 'C' }, fields: [{ local_field: 'a', remote_field: 'a' }] };
    expect(ProfileInput.safeParse(base).success).toBe(true);
    expect(ProfileInput.safeParse({ ...base, mode: 'scheduled' }).success).toBe(false);
    expect(ProfileInput.safeParse({ ...base, fields: [{ local_field: 'a', remote_field: 'a' }, { local_field: 'a', remote_field: 'b' }] }).success).toBe(false);
    expect(ProfileInput.safeParse({ ...base, deletes: { remote_rule: 'tombstone' } }).success).toBe(false);
    expect(ProfileInput.safeParse({ ...base, remote: { ...base.remote, time_zone: 'Mars/Olympus' } }).success).toBe(false);
  });
});
