import { createHash } from 'node:crypto';
import type { FieldMap, Filter, Profile, Transform } from './schemas';

/**
 * Pure mapping between a local document, a remote record and the canonical form the engine
 * compares: an object keyed by local field name holding values as the local side stores them.
 * Both sides are hashed in that one form, so "changed since the last sync" is one comparison.
 */

export type Canon = Record<string, unknown>;
export type Doc = Record<string, unknown>;

/** Resolves Link transforms through another profile's Sync Log; the engine prefetches per page. */
export interface LinkLookup {
  toExternal(profileId: string, localName: string): string | undefined;
  toLocal(profileId: string, externalId: string): string | undefined;
}

export class TransformError extends Error {
  override name = 'TransformError';
  constructor(
    message: string,
    readonly code: 'link_unresolved' | 'bad_value',
  ) {
    super(message);
  }
}

/** Fields that take part in comparison: not `dont_sync`, not constants (which only write). */
export const comparedFields = (p: Profile) => p.fields.filter((f) => f.rule !== 'dont_sync' && f.transform?.type !== 'constant');

export function isBlank(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * Equality as both stores see it: blanks are equal, a number equals its numeric string (Frappe
 * Data fields hold strings, JSON APIs numbers), booleans equal 0/1 (Frappe Check fields).
 */
export function same(a: unknown, b: unknown): boolean {
  if (isBlank(a) || isBlank(b)) return isBlank(a) && isBlank(b);
  if (a === b) return true;
  const sa = scalarKey(a);
  const sb = scalarKey(b);
  if (sa !== null && sb !== null) return sa === sb;
  return stableJson(a) === stableJson(b);
}

function scalarKey(v: unknown): string | null {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'string') {
    const n = v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? String(n) : `s:${v}`;
  }
  return null;
}

export function stableJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

/** Hash of a canonical form, with values reduced the way `same` compares them. */
export function hashCanon(c: Canon): string {
  const keys = Object.keys(c).sort();
  const h = createHash('sha256');
  for (const k of keys) {
    const v = c[k];
    h.update(`${k}\u0000${isBlank(v) ? '' : (scalarKey(v) ?? stableJson(v))}\u0001`);
  }
  return h.digest('hex');
}

export function getPath(o: Doc, path: string): unknown {
  if (!path.includes('.')) return o[path];
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

function setPath(o: Doc, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur = o;
  for (const part of parts.slice(0, -1)) {
    if (cur[part] === null || typeof cur[part] !== 'object') cur[part] = {};
    cur = cur[part] as Doc;
  }
  cur[parts[parts.length - 1]!] = v;
}

export function localCanon(p: Profile, doc: Doc): Canon {
  const c: Canon = {};
  for (const f of comparedFields(p)) c[f.local_field] = doc[f.local_field] ?? null;
  return c;
}

export function remoteCanon(p: Profile, rec: Doc, links: LinkLookup): Canon {
  const c: Canon = {};
  for (const f of comparedFields(p)) c[f.local_field] = toLocalValue(f, getPath(rec, f.remote_field), links);
  return c;
}

/** Values to write locally: the given canonical fields a pull may write, plus local constants. */
export function toLocalValues(p: Profile, values: Canon, opts: { constants: boolean }): Doc {
  const out: Doc = {};
  for (const f of p.fields) {
    if (f.transform?.type === 'constant') {
      if (opts.constants && f.transform.side === 'local') out[f.local_field] = f.transform.value;
    } else if (f.rule !== 'dont_sync' && f.direction !== 'push' && f.local_field in values) out[f.local_field] = values[f.local_field] ?? null;
  }
  return out;
}

/** The remote body for the given canonical fields a push may write, plus remote constants. */
export function toRemoteBody(p: Profile, values: Canon, links: LinkLookup, opts: { constants: boolean }): Doc {
  const out: Doc = {};
  for (const f of p.fields) {
    if (f.transform?.type === 'constant') {
      if (opts.constants && f.transform.side === 'remote') setPath(out, f.remote_field, f.transform.value);
    } else if (f.rule !== 'dont_sync' && f.direction !== 'pull' && f.local_field in values) {
      setPath(out, f.remote_field, toRemoteValue(f, values[f.local_field], links));
    }
  }
  return out;
}

export function toRemoteValue(f: FieldMap, v: unknown, links: LinkLookup): unknown {
  const t = f.transform;
  if (!t || isBlank(v)) return t?.type === 'value_map' && t.default_remote !== undefined && isBlank(v) ? t.default_remote : (v ?? null);
  switch (t.type) {
    case 'value_map': {
      const k = String(v);
      return k in t.map ? t.map[k] : (t.default_remote ?? v);
    }
    case 'date':
      return formatRemoteDate(t, String(v), f.local_field);
    case 'number': {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new TransformError(`${f.local_field}: ${JSON.stringify(v)} is not a number`, 'bad_value');
      let out = n * (t.scale ?? 1);
      if (t.decimals !== undefined) out = Number(out.toFixed(t.decimals));
      return t.as_string ? String(out) : out;
    }
    case 'link': {
      const id = links.toExternal(t.profile_id, String(v));
      if (id === undefined) throw new TransformError(`${f.local_field}: ${String(v)} is not synced by profile ${t.profile_id} yet`, 'link_unresolved');
      return id;
    }
    case 'constant':
      return t.value;
  }
}

export function toLocalValue(f: FieldMap, v: unknown, links: LinkLookup): unknown {
  const t = f.transform;
  if (!t || isBlank(v)) return t?.type === 'value_map' && t.default_local !== undefined && isBlank(v) ? t.default_local : (v ?? null);
  switch (t.type) {
    case 'value_map': {
      for (const [local, remote] of Object.entries(t.map)) if (same(remote, v)) return local;
      return t.default_local ?? v;
    }
    case 'date':
      return parseRemoteDate(t, v, f.remote_field);
    case 'number': {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new TransformError(`${f.remote_field}: ${JSON.stringify(v)} is not a number`, 'bad_value');
      const out = n / (t.scale ?? 1);
      return t.decimals !== undefined ? Number(out.toFixed(t.decimals)) : out;
    }
    case 'link': {
      const name = links.toLocal(t.profile_id, String(v));
      if (name === undefined) throw new TransformError(`${f.remote_field}: ${String(v)} is not synced by profile ${t.profile_id} yet`, 'link_unresolved');
      return name;
    }
    case 'constant':
      return t.value;
  }
}

type DateT = Extract<Transform, { type: 'date' }>;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Frappe dates and datetimes are naive wall-clock strings; they are converted as UTC wall-clock. */
function formatRemoteDate(t: DateT, v: string, field: string): unknown {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?$/.exec(v);
  if (!m) throw new TransformError(`${field}: ${JSON.stringify(v)} is not a Frappe date`, 'bad_value');
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0'] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, Math.floor(Number(`0.${frac}`) * 1000));
  switch (t.remote_format) {
    case 'iso':
      return new Date(ms).toISOString();
    case 'date':
      return `${y}-${mo}-${d}`;
    case 'epoch_s':
      return Math.floor(ms / 1000);
    case 'epoch_ms':
      return ms;
    case 'dd/mm/yyyy':
      return `${d}/${mo}/${y}`;
    case 'mm/dd/yyyy':
      return `${mo}/${d}/${y}`;
  }
}

function parseRemoteDate(t: DateT, v: unknown, field: string): string {
  let ms: number;
  const bad = () => new TransformError(`${field}: ${JSON.stringify(v)} does not match ${t.remote_format}`, 'bad_value');
  if (t.remote_format === 'epoch_s' || t.remote_format === 'epoch_ms') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw bad();
    ms = t.remote_format === 'epoch_s' ? n * 1000 : n;
  } else if (t.remote_format === 'dd/mm/yyyy' || t.remote_format === 'mm/dd/yyyy') {
    const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(String(v));
    if (!m) throw bad();
    const [dd, mm] = t.remote_format === 'dd/mm/yyyy' ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
    ms = Date.UTC(+m[3]!, +mm - 1, +dd);
  } else {
    const s = String(v);
    ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
    if (!Number.isFinite(ms)) throw bad();
  }
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return t.local_format === 'date' ? date : `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Frappe-style filters over one record (field names of that record's side). */
export function matchesFilters(filters: Filter[], rec: Doc): boolean {
  return filters.every(([field, op, want]) => {
    const v = getPath(rec, field);
    switch (op) {
      case '=':
        return same(v, want);
      case '!=':
        return !same(v, want);
      case 'in':
        return Array.isArray(want) && want.some((w) => same(v, w));
      case 'not in':
        return Array.isArray(want) && !want.some((w) => same(v, w));
      case 'is':
        return want === 'set' ? !isBlank(v) : isBlank(v);
      case 'like': {
        const re = new RegExp(`^${String(want).split('%').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
        return !isBlank(v) && re.test(String(v));
      }
      default:
        return compare(v, want, op);
    }
  });
}

function compare(v: unknown, want: unknown, op: '>' | '>=' | '<' | '<='): boolean {
  if (isBlank(v)) return false;
  const a = Number(v);
  const b = Number(want);
  const c = Number.isFinite(a) && Number.isFinite(b) ? a - b : String(v).localeCompare(String(want));
  return op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
}

/** Milliseconds since the epoch of a timestamp either store gave (ISO, epoch s/ms); null if unusable. */
export function timestampMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string' || v === '') return null;
  if (/^\d+(\.\d+)?$/.test(v)) return timestampMs(Number(v));
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}
