import { createServer } from 'node:http';
import { FRAPPE_METHODS } from '../../src/connections/frappe-sync';
import { listenLocal } from '../local-server';

/**
 * A Frappe stand-in speaking the connection methods of docs/api.md over real HTTP: it serves
 * `connection_config` from `configs`, and records `store_connection_tokens` and
 * `connection_status` calls (a stored token replaces the config's copy, as Frappe does), and
 * takes `report_connection_failures`.
 */
/** Failed calls, sent by the delivery Reporter (a whole sidecar with FRAPPE_URL). */
export const CALL_FAILURES = 'integrations_app.api.sidecar.report_connection_failures';

export interface FrappeStandin {
  url: string;
  configs: Map<string, Record<string, any>>;
  calls: Array<{ method: string; body: Record<string, any>; auth: string | undefined }>;
  /** Answer every call with this status instead (Frappe down). */
  failWith: number | null;
  callsOf(method: keyof typeof FRAPPE_METHODS): Array<Record<string, any>>;
  close(): Promise<void>;
}

export async function startFrappeStandin(): Promise<FrappeStandin> {
  const s: FrappeStandin = {
    url: '',
    configs: new Map(),
    calls: [],
    failWith: null,
    callsOf: (m) => s.calls.filter((c) => c.method === FRAPPE_METHODS[m]).map((c) => c.body),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace('/api/method/', '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
      s.calls.push({ method, body, auth: req.headers.authorization });
      if (s.failWith) return void res.writeHead(s.failWith).end('down');
      let message: unknown = null;
      if (method === FRAPPE_METHODS.config) message = s.configs.get(body.connection_id) ?? null;
      else if (method === FRAPPE_METHODS.storeTokens) {
        const c = s.configs.get(body.connection_id);
        if (c) c.tokens = body.tokens;
        message = { ok: true };
      } else if (method === FRAPPE_METHODS.status) message = { ok: true };
      else if (method === CALL_FAILURES) message = { ok: true, stored: (body.failures as unknown[]).length };
      else return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
    });
  });
  ({ url: s.url, close: s.close } = await listenLocal(server));
  return s;
}
