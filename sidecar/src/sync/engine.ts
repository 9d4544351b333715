import { redactSnippet } from '../connections/redact';
import { Links } from './links';
import {
  getPath, hashCanon, localCanon, matchesFilters, remoteCanon, same, timestampMs, toLocalValues, toRemoteBody, TransformError, type Canon, type Doc,
} from './mapping';
import { reconcile, writes, type SideState } from './merge';
import type { Profile, RecordRef } from './schemas';
import { EMPTY_CURSORS, type Phase, type Run, type SyncState } from './state';
import type { LocalRec, LocalSite, SyncLog } from './stores/frappe-local';
import { pool } from './stores/rest';
import { RecordError, type RemoteRecord, type RemoteStore } from './stores/types';

/**
 * The sync engine: pages of changes from either side reconciled against the Sync Log, written
 * to the other side in batches, with one Sync Log row per record. Store-agnostic: the local
 * site through `LocalSite`, the remote through a `RemoteStore`. docs/sync.md §4.
 */

export interface EngineDeps {
  local: LocalSite;
  remote(profileId: string, p: Profile): RemoteStore;
  state: SyncState;
  /** A failed record is retried alone after `delayMs` (a single-record job). */
  scheduleRetry(profileId: string, ref: RecordRef, delayMs: number): Promise<void>;
  /** Progress and conflicts for desk (realtime); never throws. */
  progress(run: Run): void;
  conflict(item: { profile_id: string; local_name: string | null; external_id: string | null; fields: string[]; detected_at: string }): void;
  /** The secret values of the profile's connection: never in an error a Sync Log row or run keeps. */
  secrets(p: Profile): string[];
  /** Remote writes in flight per page. @defaultValue 16 */
  remoteConcurrency?: number;
}

interface Item {
  log: SyncLog | null;
  /** undefined = not read yet; null = not there. */
  local?: LocalRec | null;
  remote?: RemoteRecord | null;
  /** Paired with the other side's record by the profile's `match_on` key (no create). */
  linked?: boolean;
  /** Why `match_on` could not pair it (several candidates): the record waits as Failed. */
  unmatched?: string;
}

type Op =
  | { t: 'skip'; logStatus?: 'Skipped'; detail?: string }
  | { t: 'write'; createLocal: boolean; createRemote: boolean; toLocal: Canon; toRemote: Canon; merged: Canon; contested: string[]; direction: 'push' | 'pull' | 'none' }
  | { t: 'conflict'; fields: string[]; merged: Canon; local: Canon; remote: Canon }
  | { t: 'fail'; code: string; error: string; retryable: boolean };

/** Backoff of automatic per-record retries: 2^attempts · 5 s, at most an hour. */
export const retryDelayMs = (attempts: number) => Math.min(3_600_000, 5000 * 2 ** Math.max(0, attempts - 1));

const now = () => new Date().toISOString();

export class SyncEngine {
  private readonly concurrency: number;
  constructor(private readonly d: EngineDeps) {
    this.concurrency = d.remoteConcurrency ?? 16;
  }

  phasesFor(p: Profile, kind: Run['kind']): Phase[] {
    if (kind === 'retry_failed') return ['retry'];
    const out: Phase[] = [];
    if (p.direction !== 'push') out.push('pull');
    if (p.direction !== 'pull') out.push('push');
    if (p.direction !== 'pull' && p.deletes.push) out.push('local_deletes');
    if (kind === 'full' && p.direction !== 'push' && p.deletes.pull && p.deletes.remote_rule === 'absence') out.push('remote_deletes');
    return out;
  }

  /**
   * One page of the run's current phase; the caller saves the run (the checkpoint) after each.
   * Returns false once the run has nothing left.
   */
  async step(run: Run, p: Profile): Promise<boolean> {
    const cp = run.checkpoint;
    const phase = cp.phases[0];
    if (!phase) {
      run.phase = 'done';
      return false;
    }
    run.phase = phase;
    const cursors = (await this.d.state.cursors(run.profile_id)) ?? { ...EMPTY_CURSORS };
    let done: boolean;
    switch (phase) {
      case 'pull':
        done = await this.pullPage(run, p, cursors.remote_cursor);
        if (done) {
          if (cp.max_ms !== null) cursors.remote_cursor = new Date(Math.max(cp.max_ms, Date.parse(cursors.remote_cursor ?? '1970-01-01T00:00:00Z'))).toISOString();
          await this.d.state.setCursors(run.profile_id, cursors);
        }
        break;
      case 'push':
        done = await this.pushPage(run, p, run.kind === 'full' ? null : cursors.local_cursor);
        if (done && cp.local) {
          cursors.local_cursor = cp.local;
          await this.d.state.setCursors(run.profile_id, cursors);
        }
        break;
      case 'local_deletes':
        done = await this.localDeletesPage(run, p, cursors.deleted_cursor);
        if (done && cp.deleted) {
          cursors.deleted_cursor = cp.deleted;
          await this.d.state.setCursors(run.profile_id, cursors);
        }
        break;
      case 'remote_deletes':
        done = await this.absencePage(run, p);
        break;
      case 'retry':
        done = await this.retryPage(run, p);
        break;
      default:
        done = true;
    }
    if (done) {
      cp.phases.shift();
      cp.token = null;
      cp.logs_after = null;
      run.phase = cp.phases[0] ?? 'done';
    }
    return cp.phases.length > 0;
  }

  private async pullPage(run: Run, p: Profile, remoteCursor: string | null): Promise<boolean> {
    const cp = run.checkpoint;
    if (cp.token === null && cp.since_ms === null && run.kind !== 'full' && remoteCursor) cp.since_ms = Date.parse(remoteCursor) - p.lookback_s * 1000;
    const page = await this.d.remote(run.profile_id, p).list(cp.since_ms, cp.token, p.page_size);
    run.stats.seen += page.records.length;
    for (const r of page.records) if (r.modifiedMs !== null && (cp.max_ms === null || r.modifiedMs > cp.max_ms)) cp.max_ms = r.modifiedMs;
    if (run.kind === 'full') await this.d.state.addSeen(run.profile_id, run.run_id, page.records.map((r) => r.id));
    await this.fromRemote(run, p, page.records);
    cp.token = page.next;
    return page.next === null;
  }

  private isTombstone(p: Profile, r: RemoteRecord): boolean {
    const d = p.deletes;
    return d.remote_rule === 'tombstone' && d.tombstone_field !== null && same(getPath(r.doc, d.tombstone_field), d.tombstone_value);
  }

  /** Remote records read by a pull (or a single-record job): tombstones, filters, then reconcile. */
  private async fromRemote(run: Run, p: Profile, records: RemoteRecord[]): Promise<void> {
    const logs = byKey(await this.d.local.getLogs(run.profile_id, { external_ids: records.map((r) => r.id) }), 'external_id');
    const items: Item[] = [];
    const deletes: SyncLog[] = [];
    for (const r of records) {
      const log = logs.get(r.id) ?? null;
      if (this.isTombstone(p, r)) {
        if (log && log.status !== 'Deleted' && log.local_name && p.deletes.pull && p.direction !== 'push') deletes.push(log);
        else run.stats.skipped++;
      } else if (log?.status === 'Deleted' || log?.status === 'Conflict' || !matchesFilters(p.remote_filters, r.doc)) run.stats.skipped++;
      else items.push({ log, remote: r });
    }
    await this.deleteLocal(run, p, deletes);
    await this.reconcileItems(run, p, items, 'remote');
  }

  private async pushPage(run: Run, p: Profile, localCursor: Run['checkpoint']['local']): Promise<boolean> {
    const cp = run.checkpoint;
    const first = !cp.lookback_used;
    const since = cp.local ?? localCursor;
    const page = await this.d.local.listChanges(run.profile_id, p.local_doctype, since, p.page_size, first && run.kind !== 'full' ? p.lookback_s : 0);
    cp.lookback_used = true;
    run.stats.seen += page.records.length;
    await this.fromLocal(run, p, page.records);
    const last = page.records[page.records.length - 1];
    if (last) cp.local = { modified: last.modified, name: last.name };
    return page.next === null;
  }

  /** Local records read by a push (or the real-time path): filters, then reconcile. */
  async fromLocal(run: Run, p: Profile, records: LocalRec[]): Promise<void> {
    const logs = byKey(await this.d.local.getLogs(run.profile_id, { local_names: records.map((r) => r.name) }), 'local_name');
    const items: Item[] = [];
    for (const r of records) {
      const log = logs.get(r.name) ?? null;
      if (log?.status === 'Deleted' || log?.status === 'Conflict' || !matchesFilters(p.local_filters, r.doc)) run.stats.skipped++;
      else items.push({ log, local: r });
    }
    await this.reconcileItems(run, p, items, 'local');
  }

  private async localDeletesPage(run: Run, p: Profile, cursor: Run['checkpoint']['deleted']): Promise<boolean> {
    const cp = run.checkpoint;
    const page = await this.d.local.listDeleted(p.local_doctype, cp.deleted ?? cursor, p.page_size);
    run.stats.seen += page.records.length;
    await this.localDeleted(run, p, page.records.map((r) => r.name));
    if (page.next) cp.deleted = page.next;
    else if (page.records.length) {
      const last = page.records[page.records.length - 1]!;
      cp.deleted = { creation: last.deleted_at, name: last.deletion_id };
    }
    return page.next === null;
  }

  /** Local documents that were deleted: their remote records are deleted (docs/sync.md §4). */
  async localDeleted(run: Run, p: Profile, names: string[]): Promise<void> {
    if (!p.deletes.push || p.direction === 'pull') return;
    const logs = (await this.d.local.getLogs(run.profile_id, { local_names: names })).filter((l) => l.status !== 'Deleted' && l.external_id);
    // A name deleted and created again since is not a delete: the document exists.
    const alive = await this.d.local.getRecords(p.local_doctype, logs.map((l) => l.local_name!));
    const remote = this.d.remote(run.profile_id, p);
    const rows: SyncLog[] = [];
    await pool(logs.filter((l) => !alive.has(l.local_name!)), this.concurrency, async (l) => {
      try {
        await remote.delete(l.external_id!);
        run.stats.deleted++;
        rows.push(deletedRow(l, run, 'push'));
      } catch (err) {
        rows.push(this.failedRow(run, p, l, err));
      }
    });
    await this.d.local.writeLogs(run.profile_id, rows);
    await this.retryLater(run, p, rows);
  }

  /** A full run finished reading every remote record: rows whose record was not seen are deleted locally. */
  private async absencePage(run: Run, p: Profile): Promise<boolean> {
    const cp = run.checkpoint;
    const page = await this.d.local.listLogs(run.profile_id, null, cp.logs_after, p.page_size);
    // Rows this run wrote are of records it created or read remotely during the run: they exist.
    const candidates = page.rows.filter((l) => l.status !== 'Deleted' && l.status !== 'Conflict' && l.external_id && l.local_name && l.run_id !== run.run_id);
    const seen = await this.d.state.seen(run.profile_id, run.run_id, candidates.map((l) => l.external_id!));
    await this.deleteLocal(run, p, candidates.filter((_, i) => !seen[i]));
    cp.logs_after = page.next;
    if (page.next === null) await this.d.state.dropSeen(run.profile_id, run.run_id);
    return page.next === null;
  }

  private async deleteLocal(run: Run, p: Profile, logs: SyncLog[]): Promise<void> {
    if (logs.length === 0) return;
    const res = await this.d.local.delete(run.profile_id, p.local_doctype, logs.map((l) => l.local_name!));
    const rows = logs.map((l) => {
      const r = res.get(l.local_name!);
      if (r?.ok) {
        run.stats.deleted++;
        return deletedRow(l, run, 'pull');
      }
      return this.failedRow(run, p, l, new RecordError(r?.error ?? 'no answer for this record', r?.code ?? 'unknown', r?.retryable ?? true));
    });
    await this.d.local.writeLogs(run.profile_id, rows);
    await this.retryLater(run, p, rows);
  }

  private async retryPage(run: Run, p: Profile): Promise<boolean> {
    const cp = run.checkpoint;
    const page = await this.d.local.listLogs(run.profile_id, 'Failed', cp.logs_after, Math.min(p.page_size, 100));
    for (const l of page.rows) await this.one(run, p, { local_name: l.local_name ?? undefined, external_id: l.external_id ?? undefined }, l);
    cp.logs_after = page.next;
    return page.next === null;
  }

  /** One record, both sides read afresh (resync, retries). */
  async one(run: Run, p: Profile, ref: RecordRef, known?: SyncLog): Promise<void> {
    const log = known ?? (await this.findLog(run.profile_id, ref));
    if (log?.status === 'Conflict') {
      run.stats.skipped++;
      return;
    }
    run.stats.seen++;
    const localName = log?.local_name ?? ref.local_name ?? null;
    const extId = log?.external_id ?? ref.external_id ?? null;
    const [locals, remotes] = await Promise.all([
      localName ? this.d.local.getRecords(p.local_doctype, [localName]) : new Map<string, LocalRec>(),
      extId ? this.d.remote(run.profile_id, p).getMany([extId]) : new Map<string, RemoteRecord>(),
    ]);
    const item: Item = { log, local: localName ? (locals.get(localName) ?? null) : null, remote: extId ? (remotes.get(extId) ?? null) : null };
    if (item.remote && this.isTombstone(p, item.remote)) item.remote = null;
    if (log && log.status !== 'Deleted') {
      if (!item.local && log.external_id && p.deletes.push && p.direction !== 'pull') return this.localDeleted(run, p, [log.local_name!]);
      if (!item.remote && log.local_name && p.deletes.pull && p.direction !== 'push' && p.deletes.remote_rule !== 'none') return this.deleteLocal(run, p, [log]);
    }
    await this.reconcileItems(run, p, [item], item.local ? 'local' : 'remote');
  }

  /** Whether either side holds the record (a resync of one with no Sync Log row yet); a side that cannot be read may. */
  async exists(profileId: string, p: Profile, ref: RecordRef): Promise<boolean> {
    const local = ref.local_name ? this.d.local.getRecords(p.local_doctype, [ref.local_name]).then((m) => m.size > 0, () => true) : false;
    const remote = ref.external_id ? this.d.remote(profileId, p).getMany([ref.external_id]).then((m) => m.size > 0, () => true) : false;
    return (await local) || (await remote);
  }

  async findLog(profileId: string, ref: RecordRef): Promise<SyncLog | null> {
    const rows = await this.d.local.getLogs(profileId, { local_names: ref.local_name ? [ref.local_name] : [], external_ids: ref.external_id ? [ref.external_id] : [] });
    return rows[0] ?? null;
  }

  /** Settles a manual conflict with the chosen side or merged values, writing both sides. */
  async resolve(run: Run, p: Profile, log: SyncLog, take: 'local' | 'remote' | 'merge', values?: Record<string, unknown>): Promise<SyncLog> {
    const [locals, remotes] = await Promise.all([
      this.d.local.getRecords(p.local_doctype, [log.local_name!]),
      this.d.remote(run.profile_id, p).getMany([log.external_id!]),
    ]);
    const item: Item = { log, local: locals.get(log.local_name!) ?? null, remote: remotes.get(log.external_id!) ?? null };
    if (!item.local || !item.remote) throw new RecordError('one side of this record no longer exists', 'missing', false);
    const links = new Links(this.d.local, p.fields);
    if (links.active) await links.prefetch([item.local.doc], [item.remote.doc], getPath);
    const L = localCanon(p, item.local.doc);
    const R = remoteCanon(p, item.remote.doc, links);
    const merged = take === 'local' ? L : take === 'remote' ? R : { ...L, ...pickKnown(L, values ?? {}) };
    const w = writes(p, merged, L, R);
    const op: Op = { t: 'write', createLocal: false, createRemote: false, ...w, merged, contested: log.conflict?.fields ?? [], direction: take === 'remote' ? 'pull' : 'push' };
    const rows = await this.execute(run, p, [item], [op], links);
    await this.d.local.writeLogs(run.profile_id, rows);
    return rows[0]!;
  }

  /**
   * The heart: for each item read both sides as needed, decide (create / update either side /
   * conflict / skip), write local changes in one batch and remote ones in parallel, then the
   * Sync Log rows in one call. A record's failure is its own row; the batch goes on.
   */
  private async reconcileItems(run: Run, p: Profile, items: Item[], origin: 'local' | 'remote'): Promise<void> {
    if (items.length === 0) return;
    const links = new Links(this.d.local, p.fields);
    if (links.active) await links.prefetch(items.flatMap((i) => (i.local ? [i.local.doc] : [])), items.flatMap((i) => (i.remote ? [i.remote.doc] : [])), getPath);
    // The side that was read unchanged since the last sync needs nothing more (also what stops echoes).
    const work: Item[] = [];
    for (const it of items) {
      if (it.log && it.log.status !== 'Failed' && (origin === 'local' ? it.log.external_id : it.log.local_name)) {
        const h = origin === 'local' ? safeHash(() => localCanon(p, it.local!.doc)) : safeHash(() => remoteCanon(p, it.remote!.doc, links));
        if (h !== null && h === (origin === 'local' ? it.log.local_hash : it.log.remote_hash)) {
          run.stats.skipped++;
          continue;
        }
      }
      work.push(it);
    }
    if (work.length === 0) return;
    // The other side of records that have one.
    const needLocal = work.filter((i) => i.local === undefined && i.log?.local_name).map((i) => i.log!.local_name!);
    const needRemote = work.filter((i) => i.remote === undefined && i.log?.external_id).map((i) => i.log!.external_id!);
    const [locals, remotes] = await Promise.all([
      this.d.local.getRecords(p.local_doctype, needLocal),
      needRemote.length ? this.d.remote(run.profile_id, p).getMany(needRemote) : new Map<string, RemoteRecord>(),
    ]);
    for (const it of work) {
      if (it.local === undefined) it.local = it.log?.local_name ? (locals.get(it.log.local_name) ?? null) : null;
      if (it.remote === undefined) it.remote = it.log?.external_id ? (remotes.get(it.log.external_id) ?? null) : null;
    }
    await this.matchOnKey(run, p, work);
    if (links.active) await links.prefetch(work.flatMap((i) => (i.local ? [i.local.doc] : [])), work.flatMap((i) => (i.remote ? [i.remote.doc] : [])), getPath);
    const ops = work.map((it) => this.decide(p, it, links));
    const rows = await this.execute(run, p, work, ops, links);
    await this.d.local.writeLogs(run.profile_id, rows);
    await this.retryLater(run, p, rows);
  }

  /**
   * Records without a partner whose other side is unknown: with `match_on`, the other side's
   * record holding the same key value is theirs (both sides held it before the first sync), so
   * they are paired instead of copied. A record already paired, outside the profile's filters
   * or a tombstone is no candidate; a key several records hold (on either side) pairs none.
   */
  private async matchOnKey(run: Run, p: Profile, items: Item[]): Promise<void> {
    const m = p.match_on;
    if (!m) return;
    const keyOf = (v: unknown) => (v === null || v === undefined || typeof v === 'object' ? '' : String(v).trim());
    const want = new Map<Item, string>();
    for (const it of items) {
      const k = it.remote && it.local === null && !it.log?.local_name ? keyOf(getPath(it.remote.doc, m.remote_field))
        : it.local && it.remote === null && !it.log?.external_id ? keyOf(it.local.doc[m.local_field]) : '';
      if (k) want.set(it, k);
    }
    if (want.size === 0) return;
    const keys = [...new Set(want.values())];
    const remote = this.d.remote(run.profile_id, p);
    const remoteHolders: RemoteRecord[] = [];
    const [localHolders] = await Promise.all([
      this.d.local.findRecords(run.profile_id, p.local_doctype, m.local_field, keys),
      pool(keys, this.concurrency, async (k) => void remoteHolders.push(...(await remote.findBy(m.remote_field, k, 2)))),
    ]);
    const locals = localHolders.filter((r) => matchesFilters(p.local_filters, r.doc));
    const remotes = remoteHolders.filter((r) => !this.isTombstone(p, r) && matchesFilters(p.remote_filters, r.doc));
    const logs = await this.d.local.getLogs(run.profile_id, { local_names: locals.map((r) => r.name), external_ids: remotes.map((r) => r.id) });
    const paired = new Set(logs.filter((l) => l.status !== 'Deleted' && l.local_name && l.external_id).flatMap((l) => [`l:${l.local_name}`, `r:${l.external_id}`]));
    const group = <T>(list: T[], id: (c: T) => string, key: (c: T) => string) => {
      const out = new Map<string, T[]>();
      for (const c of list) if (!paired.has(id(c))) out.set(key(c), [...(out.get(key(c)) ?? []), c]);
      return out;
    };
    const localsByKey = group(locals, (r) => `l:${r.name}`, (r) => keyOf(r.doc[m.local_field]));
    const remotesByKey = group(remotes, (r) => `r:${r.id}`, (r) => keyOf(getPath(r.doc, m.remote_field)));
    const claimed = new Set<string>();
    for (const [it, k] of want) {
      const ls = localsByKey.get(k) ?? [];
      const rs = remotesByKey.get(k) ?? [];
      if (ls.length > 1 || rs.length > 1) {
        const [n, side, field] = ls.length > 1 ? [ls.length, 'local', m.local_field] : [rs.length, 'remote', m.remote_field];
        it.unmatched = `${n} ${side} records hold ${field} = ${JSON.stringify(k)}: none was paired`;
        continue;
      }
      const partner = it.remote ? ls[0] : rs[0];
      const id = it.remote ? `l:${ls[0]?.name}` : `r:${rs[0]?.id}`;
      if (!partner || claimed.has(id)) continue;
      claimed.add(id);
      if (it.remote) it.local = partner as LocalRec;
      else it.remote = partner as RemoteRecord;
      it.linked = true;
    }
  }

  private decide(p: Profile, it: Item, links: Links): Op {
    if (it.unmatched) return { t: 'fail', code: 'match_ambiguous', error: it.unmatched, retryable: false };
    try {
      const L = it.local ? localCanon(p, it.local.doc) : null;
      const R = it.remote ? remoteCanon(p, it.remote.doc, links) : null;
      if (L && !R) {
        if (it.log?.external_id) return { t: 'fail', code: 'remote_missing', error: `remote record ${it.log.external_id} no longer exists`, retryable: false };
        if (p.direction === 'pull') return { t: 'skip', logStatus: 'Skipped', detail: 'local only; the profile pulls' };
        return { t: 'write', createLocal: false, createRemote: true, toLocal: {}, toRemote: L, merged: L, contested: [], direction: 'push' };
      }
      if (R && !L) {
        if (it.log?.local_name) return { t: 'fail', code: 'local_missing', error: `local record ${it.log.local_name} no longer exists`, retryable: false };
        if (p.direction === 'push') return { t: 'skip', logStatus: 'Skipped', detail: 'remote only; the profile pushes' };
        return { t: 'write', createLocal: true, createRemote: false, toLocal: R, toRemote: {}, merged: R, contested: [], direction: 'pull' };
      }
      if (!L || !R) return { t: 'skip' };
      const side = (c: Canon, mod: number | null): SideState => ({ canon: c, hash: hashCanon(c), modifiedMs: mod });
      const base = it.log && it.log.status !== 'Skipped' ? { local_hash: it.log.local_hash ?? null, remote_hash: it.log.remote_hash ?? null, base_values: it.log.base_values ?? null } : null;
      const d = reconcile(p, base, side(L, timestampMs(it.local!.modified_utc)), side(R, it.remote!.modifiedMs));
      if (d.kind === 'skip') return { t: 'skip' };
      if (d.kind === 'conflict') return { t: 'conflict', fields: d.fields, merged: d.merged, local: L, remote: R };
      const toLocal = p.direction === 'push' ? {} : d.toLocal;
      const toRemote = p.direction === 'pull' ? {} : d.toRemote;
      const direction = Object.keys(toLocal).length && Object.keys(toRemote).length ? 'none' : Object.keys(toLocal).length ? 'pull' : Object.keys(toRemote).length ? 'push' : 'none';
      return { t: 'write', createLocal: false, createRemote: false, toLocal, toRemote, merged: d.merged, contested: d.contested, direction };
    } catch (err) {
      if (err instanceof TransformError) return { t: 'fail', code: err.code, error: err.message, retryable: err.code === 'link_unresolved' };
      throw err;
    }
  }

  /** Writes what the ops say and returns the Sync Log rows (one per item). */
  private async execute(run: Run, p: Profile, items: Item[], ops: Op[], links: Links): Promise<SyncLog[]> {
    const pid = run.profile_id;
    const rows: Array<SyncLog | null> = items.map(() => null);
    const newLocal: Array<LocalRec | undefined> = [];
    const newRemote: Array<RemoteRecord | undefined> = [];
    const fail = (i: number, err: unknown) => {
      ops[i] = { t: 'fail', code: err instanceof RecordError ? err.code : 'error', error: (err as Error).message, retryable: err instanceof RecordError ? err.retryable : true };
    };

    // Local side: one batch for every create and update.
    const localIdx = ops.flatMap((op, i) => (op.t === 'write' && (op.createLocal || Object.keys(op.toLocal).length) ? [i] : []));
    const localCreates = localIdx.filter((i) => (ops[i] as Extract<Op, { t: 'write' }>).createLocal).map((i) => items[i]!.remote!.id);
    const localKeys = await this.d.state.intents(pid, 'local', localCreates);
    if (localIdx.length) {
      const res = await this.d.local.upsert(
        pid,
        p.local_doctype,
        localIdx.map((i) => {
          const op = ops[i] as Extract<Op, { t: 'write' }>;
          const it = items[i]!;
          return op.createLocal
            ? { key: String(i), name: null, values: toLocalValues(p, op.toLocal, { constants: true }), idempotency_key: localKeys.get(it.remote!.id)! }
            : { key: String(i), name: it.local!.name, values: toLocalValues(p, op.toLocal, { constants: false }) };
        }),
      );
      for (const i of localIdx) {
        const r = res.get(String(i));
        if (r?.ok) newLocal[i] = r.record;
        else fail(i, new RecordError(r ? r.error : 'no answer for this record', r ? r.code : 'unknown', r ? r.retryable : true));
      }
    }

    // Remote side: in parallel, creates with a key that survives a crash.
    const remote = this.d.remote(pid, p);
    const remoteIdx = ops.flatMap((op, i) => (op.t === 'write' && (op.createRemote || Object.keys(op.toRemote).length) ? [i] : []));
    const createNames = remoteIdx.filter((i) => (ops[i] as Extract<Op, { t: 'write' }>).createRemote).map((i) => items[i]!.local!.name);
    const remoteKeys = await this.d.state.intents(pid, 'remote', createNames);
    const matchField = p.remote.match_field;
    await pool(remoteIdx, this.concurrency, async (i) => {
      const op = ops[i] as Extract<Op, { t: 'write' }>;
      const it = items[i]!;
      try {
        if (op.createRemote) {
          const name = it.local!.name;
          const found = matchField ? ((await remote.findBy(matchField, name, 1))[0] ?? null) : null;
          const body = toRemoteBody(p, op.toRemote, links, { constants: true });
          if (matchField) body[matchField] = name;
          newRemote[i] = found ?? (await remote.create(body, remoteKeys.get(name)!));
        } else newRemote[i] = await remote.update(it.remote!.id, toRemoteBody(p, op.toRemote, links, { constants: false }));
      } catch (err) {
        fail(i, err);
      }
    }).catch(() => undefined);

    const at = now();
    ops.forEach((op, i) => {
      const it = items[i]!;
      const base: SyncLog = {
        local_name: newLocal[i]?.name ?? it.local?.name ?? it.log?.local_name ?? null,
        external_id: newRemote[i]?.id ?? it.remote?.id ?? it.log?.external_id ?? null,
        status: 'Synced',
        run_id: run.run_id,
      };
      if (op.t === 'skip') {
        if (op.logStatus) {
          run.stats.skipped++;
          rows[i] = { ...base, status: 'Skipped', error: op.detail ?? null, events: [{ at, action: 'skip', status: 'Skipped', detail: op.detail ?? null }] };
        } else {
          run.stats.skipped++;
          // Both sides agree (e.g. both made the same edit): the row records that they do.
          if (it.log && it.local && it.remote && it.log.status !== 'Synced') rows[i] = this.syncedRow(p, base, it.local, it.remote, localCanon(p, it.local.doc), links, at, 'none', it.log);
        }
      } else if (op.t === 'fail') {
        rows[i] = this.failedRow(run, p, it.log ?? base, new RecordError(op.error, op.code, op.retryable), base);
      } else if (op.t === 'conflict') {
        run.stats.conflicts++;
        if (it.linked) run.stats.linked++;
        rows[i] = {
          ...base, status: 'Conflict', error: null,
          conflict: { detected_at: at, fields: op.fields, local: op.local, remote: op.remote, base: it.log?.base_values ?? null },
          events: [{ at, action: 'conflict', status: 'Conflict', detail: op.fields.join(', ') }],
        };
        this.d.conflict({ profile_id: run.profile_id, local_name: base.local_name, external_id: base.external_id, fields: op.fields, detected_at: at });
      } else {
        const L = newLocal[i] ?? it.local!;
        const R = newRemote[i] ?? it.remote!;
        if (op.createLocal || op.createRemote) run.stats.created++;
        else if (it.linked) run.stats.linked++;
        if (!op.createLocal && !op.createRemote && (newLocal[i] || newRemote[i])) run.stats.updated++;
        else if (!op.createLocal && !op.createRemote && !it.linked) run.stats.skipped++;
        rows[i] = this.syncedRow(p, base, L, R, op.merged, links, at, op.direction, it.log, op.contested, it.linked);
      }
    });
    await Promise.all([this.d.state.clearIntents(pid, 'local', localCreates), this.d.state.clearIntents(pid, 'remote', createNames)]);
    return rows.filter((r): r is SyncLog => r !== null);
  }

  private syncedRow(
    p: Profile, base: SyncLog, L: LocalRec, R: RemoteRecord, merged: Canon, links: Links, at: string, direction: 'push' | 'pull' | 'none', prev: SyncLog | null,
    contested: string[] = [], linked = false,
  ): SyncLog {
    const detail = linked
      ? `paired on ${p.match_on!.local_field} = ${p.match_on!.remote_field}`
      : contested.length ? `both sides changed ${contested.join(', ')}: settled by ${p.conflict_strategy}` : null;
    const action = linked ? 'link' : prev ? (direction === 'none' ? 'match' : direction) : 'create';
    return {
      ...base,
      local_name: L.name,
      external_id: R.id,
      status: 'Synced',
      last_direction: direction,
      local_hash: hashCanon(localCanon(p, L.doc)),
      remote_hash: hashCanon(remoteCanon(p, R.doc, links)),
      base_values: merged,
      last_synced_at: at,
      local_modified: L.modified_utc,
      remote_modified: R.modifiedMs === null ? null : new Date(R.modifiedMs).toISOString(),
      attempts: 0,
      next_retry_at: null,
      error: null,
      conflict: null,
      events: [{ at, action, status: 'Synced', detail }],
    };
  }

  private failedRow(run: Run, p: Profile, prev: SyncLog, err: unknown, base: Partial<SyncLog> = {}): SyncLog {
    run.stats.failed++;
    const attempts = (prev.attempts ?? 0) + 1;
    const retryable = !(err instanceof RecordError) || err.retryable;
    const auto = attempts < p.max_attempts;
    const at = now();
    const message = this.redact(p, (err as Error).message).slice(0, 1000);
    return {
      local_name: base.local_name ?? prev.local_name,
      external_id: base.external_id ?? prev.external_id,
      status: 'Failed',
      attempts,
      // Validation errors are retried too (the data may be fixed meanwhile), on the same backoff.
      next_retry_at: auto ? new Date(Date.now() + retryDelayMs(attempts)).toISOString() : null,
      error: `${err instanceof RecordError ? `${err.code}: ` : ''}${message}${retryable ? '' : ' (will not succeed unchanged)'}`,
      run_id: run.run_id,
      events: [{ at, action: 'attempt', status: 'Failed', detail: message }],
    };
  }

  /**
   * Error text as Sync Log rows and runs keep it (people read it in desk): the connection's
   * secrets, and anything shaped like a credential a remote answer echoed, replaced.
   */
  redact(p: Profile, text: string): string {
    return redactSnippet(text, this.d.secrets(p));
  }

  private async retryLater(run: Run, p: Profile, rows: SyncLog[]): Promise<void> {
    for (const r of rows) {
      if (r.status !== 'Failed' || !r.next_retry_at) continue;
      const ref: RecordRef = { ...(r.local_name ? { local_name: r.local_name } : {}), ...(r.external_id ? { external_id: r.external_id } : {}) };
      await this.d.scheduleRetry(run.profile_id, ref, Math.max(0, Date.parse(r.next_retry_at) - Date.now()));
    }
  }
}

function byKey(rows: SyncLog[], k: 'local_name' | 'external_id'): Map<string, SyncLog> {
  const m = new Map<string, SyncLog>();
  for (const r of rows) if (r[k]) m.set(r[k]!, r);
  return m;
}

function deletedRow(l: SyncLog, run: Run, direction: 'push' | 'pull'): SyncLog {
  const at = now();
  return {
    local_name: l.local_name, external_id: l.external_id, status: 'Deleted', last_direction: direction, last_synced_at: at, attempts: 0,
    next_retry_at: null, error: null, run_id: run.run_id, events: [{ at, action: 'delete', status: 'Deleted', detail: direction === 'push' ? 'deleted remotely' : 'deleted locally' }],
  };
}

function safeHash(f: () => Canon): string | null {
  try {
    return hashCanon(f());
  } catch {
    return null;
  }
}

/** Merge values keyed by local field, limited to fields the profile compares. */
function pickKnown(L: Canon, values: Record<string, unknown>): Doc {
  const out: Doc = {};
  for (const k of Object.keys(values)) if (k in L) out[k] = values[k];
  return out;
}

