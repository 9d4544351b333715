import { createServer } from 'node:http';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { listenLocal, type LocalServer } from '../local-server';

const INBOUND = '/api/method/integrations_app.api.sidecar.receive_inbound_events';
const REPORTS = '/api/method/integrations_app.api.sidecar.report_deliveries';
const DISABLED = '/api/method/integrations_app.api.sidecar.endpoint_disabled';

/**
 * The two Frappe methods a sidecar calls under load (docs/api.md): inbound events, idempotent
 * on (slug, provider_event_id) like the real unique index, and delivery reports (counted).
 */
export class FrappeSite {
  /** provider_event_id of every inbound event taken, first copy only. */
  readonly inbound = new Set<string>();
  outcomes = 0;
  private listening: LocalServer | null = null;

  async start(): Promise<this> {
    this.listening = await listenLocal(createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        let message: unknown = {};
        if (req.url === INBOUND) {
          const accepted: string[] = [];
          const duplicates: string[] = [];
          for (const e of body.events as Array<{ sidecar_id: string; slug: string; provider_event_id: string }>) {
            const key = `${e.slug}|${e.provider_event_id}`;
            (this.inbound.has(key) ? duplicates : accepted).push(e.sidecar_id);
            this.inbound.add(key);
          }
          message = { accepted, duplicates, rejected: [] };
        } else if (req.url === REPORTS) this.outcomes += (body.outcomes as unknown[]).length;
        else if (req.url !== DISABLED) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
      });
    }));
    return this;
  }

  get url(): string {
    return this.listening!.url;
  }

  async close(): Promise<void> {
    await this.listening?.close();
  }
}

/** A webhook receiver: 204 to everything, remembers each `webhook-id` it got. */
export class Receiver {
  readonly ids = new Set<string>();
  requests = 0;
  private listening: LocalServer | null = null;

  async start(): Promise<this> {
    this.listening = await listenLocal(createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.requests++;
        this.ids.add(String(req.headers['webhook-id']));
        res.writeHead(204).end();
      });
    }));
    return this;
  }

  get url(): string {
    return `${this.listening!.url}/hook`;
  }

  async close(): Promise<void> {
    await this.listening?.close();
  }
}

/** An inbound Standard Webhooks delivery for the `standard` provider, signed with `key` by the SDK. */
export function standardSigned(key: string, id: string) {
  const body = JSON.stringify({ type: 'invoice.created', data: { id } });
  const ts = Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts),
      'webhook-signature': new StandardWebhook(key).sign(id, new Date(ts * 1000), body),
    },
  };
}
