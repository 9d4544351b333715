import { createServer } from 'node:http';
import { listenLocal, type LocalServer } from '../local-server';

/**
 * A Frappe site as the sync contract (docs/sync.md §2) describes it: the whitelisted methods
 * of `integrations_app.api.sync` over HTTP with token auth, on its own state — documents with
 * naive `modified` timestamps, Deleted Documents, Sync Log rows (unique per profile and
 * external id), run reports. Writes by the sync carry the echo marker: they raise no change
 * event, while `edit`/`insert`/`remove` (a user in desk) do.
 */

export interface StandinDoc {
  name: string;
  modified: string;
  creation: string;
  [field: string]: unknown;
}

type Row = Record<string, any> & { name: string; local_name: string | null; external_id: string | null };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Frappe's naive datetime with microseconds, here in UTC. */
export function naive(ms: number, micro = 0): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000 + micro, 6)}`;
}

const naiveMs = (s: string) => Date.parse(`${s.replace(' ', 'T').slice(0, 23)}Z`);
const isoOf = (s: string) => new Date(naiveMs(s)).toISOString();

export class FrappeStandin {
  private listening: LocalServer | null = null;
  url = '';
  readonly docs = new Map<string, Map<string, StandinDoc>>();
  readonly deleted: Array<{ name: string; deleted_name: string; deleted_doctype: string; creation: string; data: StandinDoc }> = [];
  readonly logs = new Map<string, Map<string, Row>>();
  readonly runs = new Map<string, Record<string, any>>();
  readonly profiles = new Map<string, Record<string, unknown>>();
  readonly calls = new Map<string, number>();
  /** Change events a user's save raises (the outbox rows the app would write); sync writes raise none. */
  readonly changes: Array<{ doctype: string; name: string; action: 'upsert' | 'delete' }> = [];
  private readonly idem = new Map<string, string>();
  private seq = 0;
  private rowSeq = 0;
  private lastMicros = 0;
  /** Set to pin the clock (rows sharing one timestamp). */
  fixedNow: string | null = null;
  /** A validation that fails saves: returns the message, or null. */
  validate: (doctype: string, doc: Record<string, unknown>) => string | null = () => null;
  /** Set to make every call fail with this status (Frappe down). */
  failWith: number | null = null;
  /** Called before each method runs (with the calls so far): a status makes that call fail. */
  beforeCall: (method: string, n: number) => number | null = () => null;

  constructor(
    readonly apiKey = 'standin-key',
    readonly apiSecret = 'standin-secret',
  ) {}

  /** A strictly later timestamp each time, unless pinned. */
  now(): string {
    if (this.fixedNow) return this.fixedNow;
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return naive(Math.floor(micros / 1000), micros % 1000);
  }

  table(doctype: string): Map<string, StandinDoc> {
    let t = this.docs.get(doctype);
    if (!t) this.docs.set(doctype, (t = new Map()));
    return t;
  }

  logsOf(profile: string): Map<string, Row> {
    let t = this.logs.get(profile);
    if (!t) this.logs.set(profile, (t = new Map()));
    return t;
  }

  /** Indexes as the DocType's database indexes: (profile, external_id) unique, (profile, local_name). */
  private readonly byExt = new Map<string, Row>();
  private readonly byLocal = new Map<string, Row>();

  logRow(profile: string, by: { local_name?: string; external_id?: string }): Row | undefined {
    if (by.external_id !== undefined) {
      const r = this.byExt.get(`${profile}\u0000${by.external_id}`);
      if (r) return r;
    }
    return by.local_name !== undefined ? this.byLocal.get(`${profile}\u0000${by.local_name}`) : undefined;
  }

  /** Stores a Sync Log row as-is (benchmarks seed rows that are already synced). */
  seedLog(profile: string, fields: Record<string, any>): void {
    const row: Row = { name: `LOG-${pad(++this.rowSeq, 8)}`, local_name: null, external_id: null, attempts: 0, events: [], ...fields };
    this.logsOf(profile).set(row.name, row);
    this.index(profile, row);
  }

  private index(profile: string, row: Row): void {
    if (row.external_id) this.byExt.set(`${profile}\u0000${row.external_id}`, row);
    if (row.local_name) this.byLocal.set(`${profile}\u0000${row.local_name}`, row);
  }

  /** A user's insert in desk. */
  insert(doctype: string, values: Record<string, unknown>, opts: { name?: string; modified?: string } = {}): StandinDoc {
    const at = opts.modified ?? this.now();
    const name = opts.name ?? `${doctype.slice(0, 4).toUpperCase()}-${pad(++this.seq, 5)}`;
    const doc: StandinDoc = { ...values, name, creation: at, modified: at };
    this.table(doctype).set(name, doc);
    this.changes.push({ doctype, name, action: 'upsert' });
    return doc;
  }

  /** A user's edit in desk. */
  edit(doctype: string, name: string, values: Record<string, unknown>, opts: { modified?: string } = {}): StandinDoc {
    const doc = this.table(doctype).get(name);
    if (!doc) throw new Error(`no ${doctype} ${name}`);
    Object.assign(doc, values, { modified: opts.modified ?? this.now() });
    this.changes.push({ doctype, name, action: 'upsert' });
    return doc;
  }

  /** A user's delete in desk (a Deleted Document is kept). */
  remove(doctype: string, name: string): void {
    this.drop(doctype, name);
    this.changes.push({ doctype, name, action: 'delete' });
  }

  private drop(doctype: string, name: string): boolean {
    const doc = this.table(doctype).get(name);
    if (!doc) return false;
    this.table(doctype).delete(name);
    this.deleted.push({ name: `DEL-${pad(this.deleted.length + 1, 7)}`, deleted_name: name, deleted_doctype: doctype, creation: this.now(), data: doc });
    return true;
  }

  private rec(doc: StandinDoc) {
    return { name: doc.name, modified: doc.modified, modified_utc: isoOf(doc.modified), doc: { ...doc } };
  }

  async start(): Promise<this> {
    this.listening = await listenLocal(createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const send = (status: number, json: unknown) => {
          const text = JSON.stringify(json);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
        };
        if (req.headers.authorization !== `token ${this.apiKey}:${this.apiSecret}`) return send(403, { exc_type: 'PermissionError' });
        if (this.failWith) return send(this.failWith, { exc_type: 'ServiceUnavailable' });
        if ((req.url ?? '').startsWith('/api/resource/')) return this.resource(req.method ?? 'GET', req.url!, body, send);
        const m = /^\/api\/method\/integrations_app\.api\.sync\.(\w+)$/.exec(req.url ?? '');
        if (!m || req.method !== 'POST') return send(404, { exc_type: 'DoesNotExistError' });
        const method = m[1]!;
        const n = (this.calls.get(method) ?? 0) + 1;
        this.calls.set(method, n);
        const fail = this.beforeCall(method, n);
        if (fail) return send(fail, { exc_type: 'ServiceUnavailable' });
        const handler = (this as unknown as Record<string, (a: any) => unknown>)[`m_${method}`];
        if (!handler) return send(404, { exc_type: 'DoesNotExistError' });
        try {
          send(200, { message: handler.call(this, JSON.parse(body || '{}')) });
        } catch (err) {
          send(417, { exc_type: 'ValidationError', exception: (err as Error).message });
        }
      });
    }));
    this.url = this.listening.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.listening?.close();
  }

  /** Frappe's REST API (`/api/resource/{doctype}[/{name}]`), as another site serves it. */
  private resource(method: string, url: string, body: string, send: (s: number, j: unknown) => void): void {
    const u = new URL(url, 'http://x');
    const [, , , dt, nm] = u.pathname.split('/');
    const doctype = decodeURIComponent(dt!);
    const t = this.table(doctype);
    if (nm === undefined) {
      if (method === 'POST') {
        const values = JSON.parse(body || '{}') as Record<string, unknown>;
        const invalid = this.validate(doctype, values);
        if (invalid) return send(417, { exc_type: 'ValidationError', _server_messages: JSON.stringify([invalid]) });
        const doc = this.insert(doctype, values);
        return send(200, { data: doc });
      }
      if (method !== 'GET') return send(405, {});
      const filters = JSON.parse(u.searchParams.get('filters') ?? '[]') as Array<[string, string, unknown]>;
      let rows = [...t.values()].filter((d) =>
        filters.every(([f, op, v]) => (op === '>=' ? String(d[f]) >= String(v) : op === 'in' ? (v as unknown[]).includes(d[f]) : op === '=' ? d[f] === v : false)),
      );
      if ((u.searchParams.get('order_by') ?? '').startsWith('modified asc')) {
        rows = rows.sort((x, y) => (x.modified < y.modified ? -1 : x.modified > y.modified ? 1 : x.name < y.name ? -1 : 1));
      }
      const start = Number(u.searchParams.get('limit_start') ?? 0);
      const len = Number(u.searchParams.get('limit_page_length') ?? 20);
      return send(200, { data: rows.slice(start, start + len) });
    }
    const name = decodeURIComponent(nm);
    const doc = t.get(name);
    if (!doc) return send(404, { exc_type: 'DoesNotExistError' });
    if (method === 'GET') return send(200, { data: doc });
    if (method === 'PUT') {
      const values = JSON.parse(body || '{}') as Record<string, unknown>;
      const invalid = this.validate(doctype, { ...doc, ...values });
      if (invalid) return send(417, { exc_type: 'ValidationError' });
      return send(200, { data: this.edit(doctype, name, values) });
    }
    if (method === 'DELETE') {
      this.remove(doctype, name);
      return send(202, { message: 'ok' });
    }
    send(405, {});
  }

  // --- the whitelisted methods (docs/sync.md §2) ---

  m_get_profile(a: { profile_id: string }) {
    return this.profiles.get(a.profile_id) ?? null;
  }

  m_list_changes(a: { doctype: string; since: { modified: string; name: string } | null; limit: number; lookback_s: number }) {
    let since = a.since;
    if (since && a.lookback_s > 0) since = { modified: naive(naiveMs(since.modified) - a.lookback_s * 1000), name: '' };
    const rows = [...this.table(a.doctype).values()]
      .filter((d) => !since || d.modified > since.modified || (d.modified === since.modified && d.name > since.name))
      .sort((x, y) => (x.modified < y.modified ? -1 : x.modified > y.modified ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
      .slice(0, a.limit);
    const last = rows[rows.length - 1];
    return { records: rows.map((d) => this.rec(d)), next: rows.length === a.limit && last ? { modified: last.modified, name: last.name } : null };
  }

  m_get_records(a: { doctype: string; names: string[] }) {
    const t = this.table(a.doctype);
    return { records: a.names.flatMap((n) => (t.has(n) ? [this.rec(t.get(n)!)] : [])), missing: a.names.filter((n) => !t.has(n)) };
  }

  m_find_records(a: { doctype: string; field: string; values: string[] }) {
    const perValue = new Map<string, number>();
    const hits = [...this.table(a.doctype).values()]
      .sort((x, y) => (x.name < y.name ? -1 : 1))
      .filter((d) => {
        const v = String(d[a.field]);
        if (!a.values.includes(v) || (perValue.get(v) ?? 0) >= 2) return false;
        perValue.set(v, (perValue.get(v) ?? 0) + 1);
        return true;
      });
    return { records: hits.map((d) => this.rec(d)) };
  }

  m_upsert_records(a: { doctype: string; records: Array<{ key: string; name: string | null; values: Record<string, unknown>; idempotency_key?: string }> }) {
    const t = this.table(a.doctype);
    return {
      results: a.records.map((r) => {
        if (r.name === null && r.idempotency_key && this.idem.has(r.idempotency_key) && t.has(this.idem.get(r.idempotency_key)!)) {
          const doc = t.get(this.idem.get(r.idempotency_key)!)!;
          return { key: r.key, ok: true, name: doc.name, created: false, record: this.rec(doc) };
        }
        const current = r.name === null ? null : t.get(r.name);
        if (r.name !== null && !current) return { key: r.key, ok: false, code: 'not_found', error: `${a.doctype} ${r.name} not found`, retryable: false };
        const merged = { ...(current ?? {}), ...r.values };
        const invalid = this.validate(a.doctype, merged);
        if (invalid) return { key: r.key, ok: false, code: 'validation', error: invalid, retryable: false };
        const at = this.now();
        let doc: StandinDoc;
        if (current) doc = Object.assign(current, r.values, { modified: at });
        else {
          doc = { ...r.values, name: `${a.doctype.slice(0, 4).toUpperCase()}-${pad(++this.seq, 5)}`, creation: at, modified: at };
          t.set(doc.name, doc);
          if (r.idempotency_key) this.idem.set(r.idempotency_key, doc.name);
        }
        return { key: r.key, ok: true, name: doc.name, created: !current, record: this.rec(doc) };
      }),
    };
  }

  m_delete_records(a: { doctype: string; names: string[] }) {
    return { results: a.names.map((n) => (this.drop(a.doctype, n), { name: n, ok: true })) };
  }

  m_list_deleted(a: { doctype: string; since: { creation: string; name: string } | null; limit: number }) {
    const s = a.since;
    const rows = this.deleted
      .filter((d) => d.deleted_doctype === a.doctype && (!s || d.creation > s.creation || (d.creation === s.creation && d.name > s.name)))
      .slice(0, a.limit);
    const last = rows[rows.length - 1];
    return {
      records: rows.map((d) => ({ name: d.deleted_name, deleted_at: d.creation, deleted_at_utc: isoOf(d.creation), deletion_id: d.name })),
      next: rows.length === a.limit && last ? { creation: last.creation, name: last.name } : null,
    };
  }

  private view(r: Row) {
    const { name: _n, ...rest } = r;
    return rest;
  }

  m_get_sync_logs(a: { profile_id: string; local_names?: string[]; external_ids?: string[] }) {
    const found = new Set<Row>();
    for (const n of a.local_names ?? []) {
      const r = this.byLocal.get(`${a.profile_id}\u0000${n}`);
      if (r) found.add(r);
    }
    for (const id of a.external_ids ?? []) {
      const r = this.byExt.get(`${a.profile_id}\u0000${id}`);
      if (r) found.add(r);
    }
    return { rows: [...found].map((r) => this.view(r)) };
  }

  m_list_sync_logs(a: { profile_id: string; status?: string; after: string | null; limit: number }) {
    const rows = [...this.logsOf(a.profile_id).values()]
      .filter((r) => (!a.status || r.status === a.status) && (a.after === null || r.name > a.after))
      .sort((x, y) => (x.name < y.name ? -1 : 1))
      .slice(0, a.limit);
    return { rows: rows.map((r) => this.view(r)), next: rows.length === a.limit ? rows[rows.length - 1]!.name : null };
  }

  m_write_sync_logs(a: { profile_id: string; rows: Array<Record<string, any>> }) {
    const t = this.logsOf(a.profile_id);
    for (const incoming of a.rows) {
      let row = incoming.external_id ? this.logRow(a.profile_id, { external_id: incoming.external_id }) : undefined;
      if (!row && incoming.local_name) {
        const byName = this.logRow(a.profile_id, { local_name: incoming.local_name });
        if (byName && (!byName.external_id || !incoming.external_id)) row = byName;
      }
      const { events, ...fields } = incoming;
      if (!row) {
        row = { name: `LOG-${pad(++this.rowSeq, 8)}`, local_name: null, external_id: null, attempts: 0, events: [] };
        t.set(row.name, row);
      }
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) row[k] = v;
      this.index(a.profile_id, row);
      row.events = [...(row.events ?? []), ...(events ?? [])].slice(-50);
    }
    return { written: a.rows.length };
  }

  m_report_run(a: { profile_id: string; run: Record<string, any> }) {
    this.runs.set(a.run.run_id, a.run);
    const p = this.profiles.get(a.profile_id);
    if (p && a.run.state) p.state = a.run.state;
    return { ok: true };
  }
}
