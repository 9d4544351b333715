import type { Doc } from '../mapping';
import type { FrappeRemote } from '../schemas';
import { msToNaive, naiveToMs } from '../time';
import { failure, type ProxyCall } from './rest';
import { RecordError, StoreError, type RemotePage, type RemoteRecord, type RemoteStore } from './types';

interface Token {
  since: string;
  /** Rows at exactly `since` already read (they sort by name after the timestamp). */
  skip: number;
}

/**
 * Another Frappe / ERPNext site through its REST API (`/api/resource/{doctype}`) and a
 * Connection holding its API key. Pages are keyed on `modified` with a skip count for rows
 * sharing the last timestamp, so a row modified during the run (which moves to the end of the
 * order) cannot shift an unread row out of the next page as a plain offset would.
 */
export class FrappeRemoteStore implements RemoteStore {
  private readonly base: string;
  constructor(
    private readonly cfg: FrappeRemote,
    private readonly call: ProxyCall,
  ) {
    this.base = `/api/resource/${encodeURIComponent(cfg.doctype)}`;
  }

  private toRecord(doc: Doc): RemoteRecord {
    return { id: String(doc.name), doc, modifiedMs: naiveToMs(doc.modified, this.cfg.time_zone) };
  }

  private async get(query: Record<string, string>): Promise<Doc[]> {
    const res = await this.call(this.cfg.connection_id, { method: 'GET', path: this.base, query: { fields: '["*"]', ...query } });
    if (res.status !== 200) throw new StoreError(`${this.cfg.doctype} list answered ${res.status}`);
    const data = (JSON.parse(res.body) as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new StoreError(`${this.cfg.doctype} list carried no data`);
    return data as Doc[];
  }

  async list(sinceMs: number | null, token: unknown, limit: number): Promise<RemotePage> {
    const t = token as Token | null;
    const since = t?.since ?? (sinceMs === null ? null : msToNaive(sinceMs, this.cfg.time_zone));
    const rows = await this.get({
      ...(since ? { filters: JSON.stringify([['modified', '>=', since]]) } : {}),
      order_by: 'modified asc, name asc',
      limit_start: String(t?.skip ?? 0),
      limit_page_length: String(limit),
    });
    if (rows.length < limit) return { records: rows.map((d) => this.toRecord(d)), next: null };
    const last = String(rows[rows.length - 1]!.modified);
    const atLast = rows.filter((r) => String(r.modified) === last).length;
    const skip = t && last === t.since ? t.skip + atLast : atLast;
    return { records: rows.map((d) => this.toRecord(d)), next: { since: last, skip } satisfies Token };
  }

  async getMany(ids: string[]): Promise<Map<string, RemoteRecord>> {
    const out = new Map<string, RemoteRecord>();
    if (ids.length === 0) return out;
    for (const d of await this.get({ filters: JSON.stringify([['name', 'in', ids]]), limit_page_length: String(ids.length) })) {
      const r = this.toRecord(d);
      out.set(r.id, r);
    }
    return out;
  }

  private async write(method: 'POST' | 'PUT', path: string, body: Doc, what: string): Promise<RemoteRecord> {
    const res = await this.call(this.cfg.connection_id, { method, path, body });
    let json: unknown = null;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = null;
    }
    if (res.status === 200 && json && typeof (json as { data?: unknown }).data === 'object') return this.toRecord((json as { data: Doc }).data);
    if (res.status === 404) throw new RecordError(`remote ${this.cfg.doctype} no longer exists`, 'remote_missing', false);
    throw failure(res.status, json, what);
  }

  create(body: Doc): Promise<RemoteRecord> {
    // Frappe has no idempotency keys: a crash-safe create needs `match_field` (see docs/sync.md).
    return this.write('POST', this.base, body, 'create');
  }

  update(id: string, body: Doc): Promise<RemoteRecord> {
    return this.write('PUT', `${this.base}/${encodeURIComponent(id)}`, body, 'update');
  }

  async delete(id: string): Promise<void> {
    const res = await this.call(this.cfg.connection_id, { method: 'DELETE', path: `${this.base}/${encodeURIComponent(id)}` });
    if (res.status === 404 || (res.status >= 200 && res.status < 300)) return;
    throw failure(res.status, null, 'delete');
  }

  async findBy(field: string, value: string, limit: number): Promise<RemoteRecord[]> {
    const rows = await this.get({ filters: JSON.stringify([[field, '=', value]]), limit_page_length: String(limit) });
    return rows.map((d) => this.toRecord(d));
  }
}
