import type { ProxyResult } from '../../connections/proxy';
import type { ProxyBody } from '../../connections/schemas';
import { getPath, timestampMs, type Doc } from '../mapping';
import type { RestRemote } from '../schemas';
import { RecordError, StoreError, type RemotePage, type RemoteRecord, type RemoteStore } from './types';

/** Calls one connection through the proxy (auth, timeouts, retries, rate limit, breaker). */
export type ProxyCall = (connectionId: string, req: ProxyBody) => Promise<ProxyResult>;

const CONCURRENCY = 16;

/** A generic REST resource: list / get / create / update / delete paths, four pagination styles. */
export class RestStore implements RemoteStore {
  constructor(
    private readonly cfg: RestRemote,
    private readonly call: ProxyCall,
    /** The connection's base URL: `link` pagination must stay under it. */
    private readonly baseUrl: () => Promise<string>,
  ) {}

  private path(template: string, id: string): string {
    return template.replace('{id}', encodeURIComponent(id));
  }

  private toRecord(doc: Doc): RemoteRecord {
    const id = getPath(doc, this.cfg.id_field);
    if (id === undefined || id === null || id === '') throw new StoreError(`a remote record has no ${this.cfg.id_field}`);
    return { id: String(id), doc, modifiedMs: this.cfg.updated_field ? timestampMs(getPath(doc, this.cfg.updated_field)) : null };
  }

  private async send(req: ProxyBody): Promise<{ status: number; json: unknown; res: ProxyResult }> {
    const res = await this.call(this.cfg.connection_id, req);
    let json: unknown = null;
    if (res.body && res.body_encoding === 'utf8') {
      try {
        json = JSON.parse(res.body);
      } catch {
        json = null;
      }
    }
    return { status: res.status, json, res };
  }

  async list(sinceMs: number | null, token: unknown, limit: number): Promise<RemotePage> {
    const c = this.cfg;
    const p = c.pagination;
    let path = c.list_path;
    const query: Record<string, string> = {};
    if (p.style === 'link' && typeof token === 'string') {
      const base = new URL(await this.baseUrl());
      const next = new URL(token, base);
      const basePath = base.pathname.replace(/\/+$/, '');
      if (next.origin !== base.origin || !next.pathname.startsWith(basePath)) throw new StoreError('the Link header points outside the connection');
      path = next.pathname.slice(basePath.length) || '/';
      next.searchParams.forEach((v, k) => (query[k] = v));
    } else {
      query[p.limit_param] = String(limit);
      if (sinceMs !== null && c.updated_since_param) query[c.updated_since_param] = formatSince(sinceMs, c.updated_since_format);
      if (p.style === 'page') query[p.page_param] = String(typeof token === 'number' ? token : 1);
      if (p.style === 'offset') query[p.offset_param] = String(typeof token === 'number' ? token : 0);
      if (p.style === 'cursor' && typeof token === 'string') query[p.cursor_param] = token;
    }
    const { status, json, res } = await this.send({ method: 'GET', path, query });
    if (status !== 200) throw new StoreError(`listing ${c.list_path} answered ${status}`);
    const items = c.items_field ? getPath((json ?? {}) as Doc, c.items_field) : json;
    if (!Array.isArray(items)) throw new StoreError(`listing ${c.list_path} did not return an array${c.items_field ? ` at ${c.items_field}` : ''}`);
    const records = items.map((d) => this.toRecord(d as Doc));
    let next: unknown = null;
    if (p.style === 'page') next = items.length < limit ? null : (typeof token === 'number' ? token : 1) + 1;
    else if (p.style === 'offset') next = items.length < limit ? null : (typeof token === 'number' ? token : 0) + items.length;
    else if (p.style === 'cursor') {
      const v = getPath((json ?? {}) as Doc, p.next_cursor_field);
      next = v === null || v === undefined || v === '' || items.length === 0 ? null : String(v);
    } else next = nextLink(res.headers.link);
    return { records, next };
  }

  async getMany(ids: string[]): Promise<Map<string, RemoteRecord>> {
    const out = new Map<string, RemoteRecord>();
    await pool(ids, CONCURRENCY, async (id) => {
      const { status, json } = await this.send({ method: 'GET', path: this.path(this.cfg.get_path, id) });
      if (status === 404 || status === 410) return;
      if (status !== 200) throw new StoreError(`reading ${id} answered ${status}`);
      out.set(id, this.toRecord(json as Doc));
    });
    return out;
  }

  async create(body: Doc, idempotencyKey: string): Promise<RemoteRecord> {
    const { status, json } = await this.send({ method: 'POST', path: this.cfg.create_path, body, idempotency_key: idempotencyKey });
    return this.written(status, json, 'create');
  }

  async update(id: string, body: Doc): Promise<RemoteRecord> {
    const { status, json } = await this.send({ method: this.cfg.update_method, path: this.path(this.cfg.update_path, id), body });
    if (status === 404 || status === 410) throw new RecordError(`remote record ${id} no longer exists`, 'remote_missing', false);
    return this.written(status, json, 'update', id);
  }

  private async written(status: number, json: unknown, what: string, id?: string): Promise<RemoteRecord> {
    if (status >= 200 && status < 300) {
      if (json && typeof json === 'object' && !Array.isArray(json)) return this.toRecord(json as Doc);
      // An API that answers without the record: read it back, so the hash is of what it stored.
      if (id) {
        const got = (await this.getMany([id])).get(id);
        if (got) return got;
      }
      throw new RecordError(`the ${what} answer carried no record`, 'bad_answer', true);
    }
    throw failure(status, json, what);
  }

  async delete(id: string): Promise<void> {
    if (!this.cfg.delete_path) throw new RecordError('this profile has no delete path', 'unsupported', false);
    const { status, json } = await this.send({ method: 'DELETE', path: this.path(this.cfg.delete_path, id) });
    if (status === 404 || status === 410 || (status >= 200 && status < 300)) return;
    throw failure(status, json, 'delete');
  }

  async findBy(field: string, value: string, limit: number): Promise<RemoteRecord[]> {
    // The list filtered by the field, as a query parameter of the same name; an API that ignores
    // the parameter answers other records, which the comparison below leaves out.
    const { status, json } = await this.send({ method: 'GET', path: this.cfg.list_path, query: { [field]: value, [this.cfg.pagination.limit_param]: String(limit) } });
    if (status !== 200) return [];
    const items = this.cfg.items_field ? getPath((json ?? {}) as Doc, this.cfg.items_field) : json;
    const hits = Array.isArray(items) ? items.filter((d) => String(getPath(d as Doc, field)) === value) : [];
    return hits.slice(0, limit).map((d) => this.toRecord(d as Doc));
  }
}

export function failure(status: number, json: unknown, what: string): RecordError {
  const detail = json && typeof json === 'object' ? JSON.stringify(json).slice(0, 2000) : '';
  const retryable = status >= 500 || status === 408 || status === 429;
  const code = status === 400 || status === 409 || status === 417 || status === 422 ? 'validation' : `http_${status}`;
  return new RecordError(`remote ${what} answered ${status}${detail ? `: ${detail}` : ''}`, code, retryable);
}

function formatSince(ms: number, f: RestRemote['updated_since_format']): string {
  return f === 'iso' ? new Date(ms).toISOString() : f === 'epoch_s' ? String(Math.floor(ms / 1000)) : String(ms);
}

/** The rel="next" target of an RFC 8288 Link header. */
export function nextLink(h: string | string[] | undefined): string | null {
  for (const line of Array.isArray(h) ? h : h ? [h] : []) {
    for (const part of line.split(/,(?=\s*<)/)) {
      const m = /<([^>]*)>\s*((?:;[^;]*)*)/.exec(part.trim());
      if (m && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return m[1]!;
    }
  }
  return null;
}

/** Runs `fn` over `items` with at most `n` in flight; the first error is thrown after all settle. */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed) throw failed;
}
