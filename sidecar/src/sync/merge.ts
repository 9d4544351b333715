import { comparedFields, isBlank, same, type Canon } from './mapping';
import type { FieldMap, Profile } from './schemas';

/**
 * Pure three-way reconciliation of one record present on both sides (docs/sync.md §4). Each
 * side's hash against the Sync Log says whether it changed; the base values say which fields
 * did; rules and the profile's strategy decide the fields both sides changed.
 */

export interface SideState {
  canon: Canon;
  hash: string;
  /** When this version was written, if the store says (ms since epoch). */
  modifiedMs: number | null;
}

export interface Base {
  local_hash: string | null;
  remote_hash: string | null;
  base_values: Canon | null;
}

export type Decision =
  | { kind: 'skip' }
  | {
      kind: 'write';
      merged: Canon;
      /** Canonical values to write to each side (only fields that differ there); empty = nothing. */
      toLocal: Canon;
      toRemote: Canon;
      /** Fields both sides changed, settled by the strategy or a rule. */
      contested: string[];
    }
  | { kind: 'conflict'; fields: string[]; merged: Canon };

export function reconcile(p: Profile, base: Base | null, local: SideState, remote: SideState): Decision {
  const lChanged = base === null || local.hash !== base.local_hash;
  const rChanged = base === null || remote.hash !== base.remote_hash;
  if (!lChanged && !rChanged) return { kind: 'skip' };
  const b = base?.base_values ?? null;
  const merged: Canon = {};
  const contested: string[] = [];
  const manual: string[] = [];
  for (const f of comparedFields(p)) {
    const k = f.local_field;
    const l = local.canon[k];
    const r = remote.canon[k];
    // Without a base (a record matched for the first time) every differing field counts as changed on both sides.
    const lc = lChanged && (b === null || !same(l, b[k]));
    const rc = rChanged && (b === null || !same(r, b[k]));
    // A field the last sync did not map (the field map grew) has no history: it does not count as
    // edited on either side, so it takes the non-blank value (local first), never a conflict.
    const fresh = b !== null && !(k in b);
    const v = fresh ? pick(p, f, l, r, false, isBlank(l), local, remote) : pick(p, f, l, r, lc, rc, local, remote);
    if (v === CONFLICT) {
      manual.push(k);
      merged[k] = b?.[k] ?? null;
      continue;
    }
    if (lc && rc && !same(l, r)) contested.push(k);
    merged[k] = v === LOCAL ? l : r;
  }
  if (manual.length > 0) return { kind: 'conflict', fields: manual, merged };
  return { kind: 'write', merged, ...writes(p, merged, local.canon, remote.canon), contested };
}

const LOCAL = Symbol('local');
const REMOTE = Symbol('remote');
const CONFLICT = Symbol('conflict');

function pick(p: Profile, f: FieldMap, l: unknown, r: unknown, lc: boolean, rc: boolean, local: SideState, remote: SideState): typeof LOCAL | typeof REMOTE | typeof CONFLICT {
  // A one-way field has one source whatever its rule says.
  if (f.direction === 'push') return LOCAL;
  if (f.direction === 'pull') return REMOTE;
  switch (f.rule) {
    case 'always_local':
      return LOCAL;
    case 'always_remote':
      return REMOTE;
    case 'prefer_local_unless_blank':
      return isBlank(l) ? REMOTE : LOCAL;
    case 'prefer_remote_unless_blank':
      return isBlank(r) ? LOCAL : REMOTE;
    default:
      break;
  }
  if (!rc) return LOCAL;
  if (!lc) return REMOTE;
  if (same(l, r)) return LOCAL;
  switch (p.conflict_strategy) {
    case 'local_wins':
      return LOCAL;
    case 'remote_wins':
      return REMOTE;
    case 'manual':
      return CONFLICT;
    case 'latest_wins': {
      const lm = local.modifiedMs;
      const rm = remote.modifiedMs;
      if (lm === null || rm === null || lm === rm) return p.latest_fallback === 'local' ? LOCAL : REMOTE;
      return lm > rm ? LOCAL : REMOTE;
    }
  }
}

/** What each side needs so that both hold `merged`, respecting each field's direction. */
export function writes(p: Profile, merged: Canon, local: Canon | null, remote: Canon | null): { toLocal: Canon; toRemote: Canon } {
  const toLocal: Canon = {};
  const toRemote: Canon = {};
  for (const f of comparedFields(p)) {
    const k = f.local_field;
    if (!(k in merged)) continue;
    if (f.direction !== 'push' && (local === null || !same(merged[k], local[k]))) toLocal[k] = merged[k];
    if (f.direction !== 'pull' && (remote === null || !same(merged[k], remote[k]))) toRemote[k] = merged[k];
  }
  return { toLocal, toRemote };
}
