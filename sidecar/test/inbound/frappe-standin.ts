import { createServer, type IncomingMessage } from 'node:http';
import { listenLocal, type LocalServer } from '../local-server';

export interface StandinEvent {
  sidecar_id: string;
  slug: string;
  provider: string;
  provider_event_id: string;
  event_type: string;
  received_at: string;
  payload: string;
  headers: Record<string, string>;
}

const PATH = '/api/method/integrations_app.api.sidecar.receive_inbound_events';

/**
 * A stand-in for the Frappe site's `receive_inbound_events` (docs/api.md): token auth,
 * idempotent on (slug, provider_event_id) like the real `Integration Inbound Event` unique
 * index, refusing events of endpoints it does not know (as integrations_app/inbound/handlers.py). `mode` switches it between up, 503 and down (port closed, then reopened on the same port).
 */
export class FrappeStandin {
  /** First copy of each (slug, provider_event_id). */
  readonly stored = new Map<string, StandinEvent>();
  /** How often each sidecar_id was sent (>1 means a re-send, which must still insert once). */
  readonly sends = new Map<string, number>();
  /** Every event sent, in arrival order, re-sends and duplicates included. */
  readonly received: StandinEvent[] = [];
  calls = 0;
  rejectedCalls = 0;
  /** Slugs with no Integration Inbound Endpoint: their events come back in `rejected`. */
  readonly unknownSlugs = new Set<string>();
  private listening: LocalServer | null = null;
  private port = 0;
  private mode: 'up' | '503' = 'up';

  constructor(private readonly auth = 'token k:s') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res.writeHead.bind(res), res.end.bind(res)));
    this.listening = await listenLocal(server, port);
    this.port = this.listening.port;
    return this;
  }

  async setMode(mode: 'up' | '503' | 'down'): Promise<void> {
    if (mode === 'down') return this.close();
    if (!this.listening) await this.start(this.port);
    this.mode = mode;
  }

  async close(): Promise<void> {
    const listening = this.listening;
    this.listening = null;
    await listening?.close();
  }

  private async handle(req: IncomingMessage, head: (s: number, h?: Record<string, string>) => unknown, end: (b?: string) => unknown) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown) => {
      head(status, { 'content-type': 'application/json' });
      end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== PATH) return reply(404, { exc_type: 'DoesNotExistError' });
    if (req.headers.authorization !== this.auth) return reply(401, { exc_type: 'AuthenticationError' });
    if (this.mode === '503') {
      this.rejectedCalls++;
      return reply(503, { exc_type: 'SiteMigrating' });
    }
    this.calls++;
    const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: StandinEvent[] };
    const accepted: string[] = [];
    const duplicates: string[] = [];
    const rejected: { sidecar_id: string; code: string; message: string }[] = [];
    for (const e of events) {
      this.received.push(e);
      this.sends.set(e.sidecar_id, (this.sends.get(e.sidecar_id) ?? 0) + 1);
      if (this.unknownSlugs.has(e.slug)) {
        rejected.push({ sidecar_id: e.sidecar_id, code: 'endpoint_not_found', message: `No Integration Inbound Endpoint '${e.slug}'` });
        continue;
      }
      const key = `${e.slug}|${e.provider_event_id}`;
      if (this.stored.has(key)) duplicates.push(e.sidecar_id);
      else {
        this.stored.set(key, e);
        accepted.push(e.sidecar_id);
      }
    }
    reply(200, { message: { accepted, duplicates, rejected } });
  }
}
