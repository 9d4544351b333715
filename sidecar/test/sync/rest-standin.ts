import { createServer } from 'node:http';
import { listenLocal, type LocalServer } from '../local-server';

/**
 * A remote REST resource with its own state, as generic CRMs expose one: `/contacts` listed
 * oldest-update first with `updated_since` and one of four pagination styles, `/contacts/{id}`
 * read / PATCH / DELETE (a soft delete leaves a tombstone `deleted: true`), POST honouring
 * `Idempotency-Key` (a repeat answers the first result), 422 for an email without "@",
 * Bearer auth. `latencyMs` slows every call (to kill a process mid-run).
 */

export type Pagination = 'page' | 'offset' | 'cursor' | 'link';
export interface Contact {
  id: string;
  updated_at: string;
  deleted?: boolean;
  [field: string]: unknown;
}

export class RestStandin {
  private listening: LocalServer | null = null;
  url = '';
  readonly records = new Map<string, Contact>();
  private readonly idem = new Map<string, Contact>();
  readonly counts = { list: 0, get: 0, create: 0, update: 0, delete: 0 };
  /** The query of every list call, in order. */
  readonly listQueries: string[] = [];
  /** Creates per `name` value: a duplicate shows here. */
  readonly createsByName = new Map<string, number>();
  latencyMs = 0;
  /** Added to every 422 answer (an API that echoes the request's credentials in its errors). */
  errorExtra: (auth: string) => Record<string, unknown> = () => ({});
  /** Pin `updated_at` (rows sharing one timestamp). */
  fixedNow: string | null = null;
  private seq = 0;
  private lastMs = 0;

  constructor(
    readonly pagination: Pagination = 'page',
    readonly token = 'rest-token',
    readonly softDelete = true,
  ) {}

  now(): string {
    if (this.fixedNow) return this.fixedNow;
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    return new Date(this.lastMs).toISOString();
  }

  /** A change made by someone at the remote side. */
  put(values: Record<string, unknown>, opts: { id?: string; updated_at?: string } = {}): Contact {
    const id = opts.id ?? `c${++this.seq}`;
    const rec: Contact = { ...(this.records.get(id) ?? {}), ...values, id, updated_at: opts.updated_at ?? this.now() };
    this.records.set(id, rec);
    return rec;
  }

  live(): Contact[] {
    return [...this.records.values()].filter((r) => !r.deleted);
  }

  async start(): Promise<this> {
    this.listening = await listenLocal(createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
          const text = json === null ? '' : JSON.stringify(json);
          const go = () => res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
          if (this.latencyMs) setTimeout(go, this.latencyMs);
          else go();
        };
        if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'unauthorized' });
        const u = new URL(req.url ?? '/', 'http://x');
        const one = /^\/contacts\/([^/]+)$/.exec(u.pathname);
        if (u.pathname === '/contacts' && req.method === 'GET') return this.list(u, send);
        if (u.pathname === '/contacts' && req.method === 'POST') {
          this.counts.create++;
          const key = req.headers['idempotency-key'];
          if (typeof key === 'string' && this.idem.has(key)) return send(201, this.idem.get(key));
          const values = JSON.parse(body || '{}') as Record<string, unknown>;
          const invalid = this.invalid(values);
          if (invalid) return send(422, { error: invalid, ...this.errorExtra(req.headers.authorization ?? '') });
          const rec = this.put(values);
          if (typeof key === 'string') this.idem.set(key, rec);
          this.createsByName.set(String(values.name), (this.createsByName.get(String(values.name)) ?? 0) + 1);
          return send(201, rec);
        }
        if (!one) return send(404, { error: 'not found' });
        const id = decodeURIComponent(one[1]!);
        const rec = this.records.get(id);
        if (req.method === 'GET') {
          this.counts.get++;
          return rec ? send(200, rec) : send(404, { error: 'not found' });
        }
        if (req.method === 'PATCH') {
          this.counts.update++;
          if (!rec || rec.deleted) return send(404, { error: 'not found' });
          const values = JSON.parse(body || '{}') as Record<string, unknown>;
          const invalid = this.invalid({ ...rec, ...values });
          if (invalid) return send(422, { error: invalid, ...this.errorExtra(req.headers.authorization ?? '') });
          return send(200, this.put(values, { id }));
        }
        if (req.method === 'DELETE') {
          this.counts.delete++;
          if (!rec || rec.deleted) return send(404, { error: 'not found' });
          if (this.softDelete) this.put({ deleted: true }, { id });
          else this.records.delete(id);
          return send(204, null);
        }
        send(405, { error: 'method not allowed' });
      });
    }));
    this.url = this.listening.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.listening?.close();
  }

  private invalid(v: Record<string, unknown>): string | null {
    return typeof v.email === 'string' && v.email !== '' && !v.email.includes('@') ? 'email is not an address' : null;
  }

  private list(u: URL, send: (status: number, json: unknown, headers?: Record<string, string>) => void) {
    this.counts.list++;
    const q = u.searchParams;
    this.listQueries.push(q.toString());
    const limit = Number(q.get('limit') ?? 100);
    const since = q.get('updated_since');
    const reserved = new Set(['limit', 'updated_since', 'page', 'offset', 'cursor']);
    let rows = [...this.records.values()]
      .filter((r) => !since || r.updated_at >= since)
      .filter((r) => [...q.entries()].every(([k, v]) => reserved.has(k) || String(r[k]) === v))
      .sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : a.id < b.id ? -1 : 1));
    let start = 0;
    if (this.pagination === 'page') start = (Number(q.get('page') ?? 1) - 1) * limit;
    else if (this.pagination === 'offset' || this.pagination === 'link') start = Number(q.get('offset') ?? 0);
    else if (q.get('cursor')) {
      // The cursor is the (updated_at, id) of the last row sent: stable while rows change.
      const [at, id] = JSON.parse(Buffer.from(q.get('cursor')!, 'base64url').toString()) as [string, string];
      rows = rows.filter((r) => r.updated_at > at || (r.updated_at === at && r.id > id));
    }
    const page = rows.slice(start, start + limit);
    const more = start + limit < rows.length;
    if (this.pagination === 'cursor') {
      const last = page[page.length - 1];
      return send(200, { data: page, next_cursor: more && last ? Buffer.from(JSON.stringify([last.updated_at, last.id])).toString('base64url') : null });
    }
    if (this.pagination === 'link' && more) {
      const next = new URL(`${this.url}/contacts`);
      q.forEach((v, k) => next.searchParams.set(k, v));
      next.searchParams.set('offset', String(start + limit));
      return send(200, { data: page }, { link: `<${next.toString()}>; rel="next"` });
    }
    send(200, { data: page });
  }
}
