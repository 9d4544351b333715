import { describe, expect, it } from 'vitest';
import { hashCanon, type Canon } from './mapping';
import { reconcile, type SideState } from './merge';
import { ProfileInput } from './schemas';

const profile = (o: Record<string, unknown> = {}, rules: Record<string, string> = {}) =>
  ProfileInput.parse({
    local_doctype: 'C', direction: 'both', remote: { type: 'frappe', connection_id: 'c', doctype: 'C' },
    fields: ['a', 'b'].map((k) => ({ local_field: k, remote_field: k, ...(rules[k] ? { rule: rules[k] } : {}) })),
    ...o,
  });
const side = (canon: Canon, modifiedMs: number | null = null): SideState => ({ canon, hash: hashCanon(canon), modifiedMs });
const base = (v: Canon) => ({ local_hash: hashCanon(v), remote_hash: hashCanon(v), base_values: v });
const B = { a: 'a0', b: 'b0' };

describe('sync three-way reconcile', () => {
  it('skips when neither side changed since the last sync', () => {
    expect(reconcile(profile(), base(B), side(B), side(B)).kind).toBe('skip');
  });

  it('copies a change made on one side only to the other', () => {
    const d = reconcile(profile(), base(B), side({ a: 'a1', b: 'b0' }), side(B));
    expect(d).toMatchObject({ kind: 'write', toRemote: { a: 'a1' }, toLocal: {}, contested: [] });
    const r = reconcile(profile(), base(B), side(B), side({ a: 'a0', b: 'b1' }));
    expect(r).toMatchObject({ kind: 'write', toLocal: { b: 'b1' }, toRemote: {} });
  });

  it('merges edits of different fields', () => {
    const d = reconcile(profile({ conflict_strategy: 'manual' }), base(B), side({ a: 'a1', b: 'b0' }), side({ a: 'a0', b: 'b1' }));
    expect(d).toMatchObject({ kind: 'write', merged: { a: 'a1', b: 'b1' }, toLocal: { b: 'b1' }, toRemote: { a: 'a1' } });
  });

  it('the same edit on both sides is no conflict', () => {
    const d = reconcile(profile({ conflict_strategy: 'manual' }), base(B), side({ a: 'x', b: 'b0' }), side({ a: 'x', b: 'b0' }));
    expect(d).toMatchObject({ kind: 'write', toLocal: {}, toRemote: {} });
  });

  it.each([
    ['local_wins', 'l', 1, 2],
    ['remote_wins', 'r', 2, 1],
    ['latest_wins', 'r', 1, 2],
    ['latest_wins', 'l', 2, 1],
  ] as const)('%s settles a field both changed (winner %s)', (strategy, winner, lm, rm) => {
    const d = reconcile(profile({ conflict_strategy: strategy }), base(B), side({ a: 'l', b: 'b0' }, lm), side({ a: 'r', b: 'b0' }, rm));
    expect(d).toMatchObject({ kind: 'write', merged: { a: winner }, contested: ['a'] });
  });

  it('latest_wins falls back to the named side when a timestamp is missing or equal', () => {
    for (const [lm, rm] of [[null, 5], [5, null], [5, 5]] as const) {
      const d = reconcile(profile({ conflict_strategy: 'latest_wins', latest_fallback: 'remote' }), base(B), side({ a: 'l', b: 'b0' }, lm), side({ a: 'r', b: 'b0' }, rm));
      expect(d).toMatchObject({ merged: { a: 'r' } });
    }
  });

  it('manual reports the fields in conflict and writes nothing', () => {
    const d = reconcile(profile({ conflict_strategy: 'manual' }), base(B), side({ a: 'l', b: 'b1' }), side({ a: 'r', b: 'b0' }));
    expect(d).toEqual({ kind: 'conflict', fields: ['a'], merged: { a: 'a0', b: 'b1' } });
  });

  it('applies per-field rules before the strategy', () => {
    const p = (rule: string) => profile({ conflict_strategy: 'manual' }, { a: rule });
    expect(reconcile(p('prefer_local_unless_blank'), base(B), side({ a: 'l', b: 'b0' }), side({ a: 'r', b: 'b0' }))).toMatchObject({ merged: { a: 'l' } });
    expect(reconcile(p('prefer_local_unless_blank'), base(B), side({ a: '', b: 'b0' }), side({ a: 'r', b: 'b0' }))).toMatchObject({ merged: { a: 'r' } });
    expect(reconcile(p('prefer_remote_unless_blank'), base(B), side({ a: 'l', b: 'b0' }), side({ a: null, b: 'b0' }))).toMatchObject({ merged: { a: 'l' } });
    expect(reconcile(p('always_local'), base(B), side(B), side({ a: 'r', b: 'b0' }))).toMatchObject({ merged: { a: 'a0' }, toRemote: { a: 'a0' } });
    expect(reconcile(p('always_remote'), base(B), side({ a: 'l', b: 'b0' }), side(B))).toMatchObject({ merged: { a: 'a0' }, toLocal: { a: 'a0' } });
    const d = reconcile(p('dont_sync'), base({ b: 'b0' }), side({ b: 'b0' }), side({ b: 'b0' }));
    expect(d.kind).toBe('skip');
  });

  it('a field new to the map takes the non-blank value without a conflict', () => {
    const old = base({ a: 'a0' });
    const p = profile({ conflict_strategy: 'manual' });
    expect(reconcile(p, old, side({ a: 'a0', b: 'l' }), side({ a: 'a0', b: 'r' }))).toMatchObject({ kind: 'write', toRemote: { b: 'l' } });
    expect(reconcile(p, old, side({ a: 'a0', b: null }), side({ a: 'a0', b: 'r' }))).toMatchObject({ kind: 'write', toLocal: { b: 'r' }, toRemote: {} });
  });

  it('without a base (first match) differing fields go by the strategy', () => {
    const d = reconcile(profile({ conflict_strategy: 'local_wins' }), null, side({ a: 'l', b: 'same' }), side({ a: 'r', b: 'same' }));
    expect(d).toMatchObject({ kind: 'write', toRemote: { a: 'l' }, toLocal: {} });
  });
});
