import type { FrappeClient } from '../../frappe/client';
import type { Canon, Doc } from '../mapping';

/** The local site through `integrations_app.api.sync.*` (docs/sync.md §2). */

export const SYNC_METHODS = {
  getProfile: 'integrations_app.api.sync.get_profile',
  listChanges: 'integrations_app.api.sync.list_changes',
  getRecords: 'integrations_app.api.sync.get_records',
  findRecords: 'integrations_app.api.sync.find_records',
  upsertRecords: 'integrations_app.api.sync.upsert_records',
  deleteRecords: 'integrations_app.api.sync.delete_records',
  listDeleted: 'integrations_app.api.sync.list_deleted',
  getSyncLogs: 'integrations_app.api.sync.get_sync_logs',
  listSyncLogs: 'integrations_app.api.sync.list_sync_logs',
  writeSyncLogs: 'integrations_app.api.sync.write_sync_logs',
  reportRun: 'integrations_app.api.sync.report_run',
} as const;

export interface LocalRec {
  name: string;
  modified: string;
  modified_utc: string | null;
  doc: Doc;
}

export interface LocalCursor {
  modified: string;
  name: string;
}

export interface DeletedCursor {
  creation: string;
  name: string;
}

export type SyncStatus = 'Synced' | 'Failed' | 'Conflict' | 'Skipped' | 'Deleted';

export interface SyncLog {
  local_name: string | null;
  external_id: string | null;
  status: SyncStatus;
  last_direction?: 'push' | 'pull' | 'none';
  local_hash?: string | null;
  remote_hash?: string | null;
  base_values?: Canon | null;
  last_synced_at?: string | null;
  local_modified?: string | null;
  remote_modified?: string | null;
  attempts?: number;
  next_retry_at?: string | null;
  error?: string | null;
  conflict?: { detected_at: string; fields: string[]; local: Canon; remote: Canon; base: Canon | null } | null;
  run_id?: string | null;
  events?: Array<{ at: string; action: string; status: string; detail: string | null }>;
}

export type UpsertResult =
  | { key: string; ok: true; name: string; created: boolean; record: LocalRec }
  | { key: string; ok: false; code: string; error: string; retryable: boolean };

/** Saving a page of documents runs every controller hook of each: it gets longer than a read. */
const WRITE_TIMEOUT_MS = 120_000;

export class LocalSite {
  constructor(private readonly frappe: FrappeClient) {}

  getProfile(profileId: string): Promise<unknown> {
    return this.frappe.call(SYNC_METHODS.getProfile, { profile_id: profileId });
  }

  listChanges(profileId: string, doctype: string, since: LocalCursor | null, limit: number, lookbackS: number) {
    return this.frappe.call<{ records: LocalRec[]; next: LocalCursor | null }>(SYNC_METHODS.listChanges, { profile_id: profileId, doctype, since, limit, lookback_s: lookbackS });
  }

  async getRecords(doctype: string, names: string[]): Promise<Map<string, LocalRec>> {
    const out = new Map<string, LocalRec>();
    if (names.length === 0) return out;
    const r = await this.frappe.call<{ records: LocalRec[] }>(SYNC_METHODS.getRecords, { doctype, names });
    for (const rec of r.records) out.set(rec.name, rec);
    return out;
  }

  /** Records whose `field` holds one of `values` (at most two per value: one match or several). */
  async findRecords(profileId: string, doctype: string, field: string, values: string[]): Promise<LocalRec[]> {
    if (values.length === 0) return [];
    const r = await this.frappe.call<{ records: LocalRec[] }>(SYNC_METHODS.findRecords, { profile_id: profileId, doctype, field, values });
    return r.records;
  }

  async upsert(profileId: string, doctype: string, records: Array<{ key: string; name: string | null; values: Doc; idempotency_key?: string }>): Promise<Map<string, UpsertResult>> {
    const out = new Map<string, UpsertResult>();
    if (records.length === 0) return out;
    const r = await this.frappe.call<{ results: UpsertResult[] }>(SYNC_METHODS.upsertRecords, { profile_id: profileId, doctype, records }, { timeoutMs: WRITE_TIMEOUT_MS });
    for (const x of r.results) out.set(x.key, x);
    return out;
  }

  async delete(profileId: string, doctype: string, names: string[]) {
    if (names.length === 0) return new Map<string, { ok: boolean; error?: string; retryable?: boolean; code?: string }>();
    const r = await this.frappe.call<{ results: Array<{ name: string; ok: boolean; code?: string; error?: string; retryable?: boolean }> }>(SYNC_METHODS.deleteRecords, {
      profile_id: profileId, doctype, names,
    }, { timeoutMs: WRITE_TIMEOUT_MS });
    return new Map(r.results.map((x) => [x.name, x]));
  }

  listDeleted(doctype: string, since: DeletedCursor | null, limit: number) {
    return this.frappe.call<{ records: Array<{ name: string; deleted_at: string; deleted_at_utc: string | null; deletion_id: string }>; next: DeletedCursor | null }>(
      SYNC_METHODS.listDeleted, { doctype, since, limit },
    );
  }

  async getLogs(profileId: string, by: { local_names?: string[]; external_ids?: string[] }): Promise<SyncLog[]> {
    if (!by.local_names?.length && !by.external_ids?.length) return [];
    const r = await this.frappe.call<{ rows: SyncLog[] }>(SYNC_METHODS.getSyncLogs, { profile_id: profileId, ...by });
    return r.rows;
  }

  listLogs(profileId: string, status: SyncStatus | null, after: string | null, limit: number) {
    return this.frappe.call<{ rows: SyncLog[]; next: string | null }>(SYNC_METHODS.listSyncLogs, { profile_id: profileId, ...(status ? { status } : {}), after, limit });
  }

  async writeLogs(profileId: string, rows: SyncLog[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) await this.frappe.call(SYNC_METHODS.writeSyncLogs, { profile_id: profileId, rows: rows.slice(i, i + 1000) }, { timeoutMs: WRITE_TIMEOUT_MS });
  }

  reportRun(profileId: string, run: unknown): Promise<unknown> {
    return this.frappe.call(SYNC_METHODS.reportRun, { profile_id: profileId, run });
  }
}
