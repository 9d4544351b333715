import { startTestSidecar, type TestSidecar } from '../helpers';
import { FrappeStandin } from './frappe-standin';
import { RestStandin, type Pagination } from './rest-standin';

/** The REST profile the sync tests start from (docs/sync.md §1). */
export function restProfile(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    local_doctype: 'Customer',
    direction: 'both',
    conflict_strategy: 'latest_wins',
    page_size: 50,
    lookback_s: 60,
    deletes: { push: true, pull: true, remote_rule: 'tombstone', tombstone_field: 'deleted', tombstone_value: true },
    remote: {
      type: 'rest', connection_id: 'crm', list_path: '/contacts', get_path: '/contacts/{id}', create_path: '/contacts', update_path: '/contacts/{id}',
      delete_path: '/contacts/{id}', id_field: 'id', updated_field: 'updated_at', updated_since_param: 'updated_since', items_field: 'data',
      pagination: { style: 'page' },
    },
    fields: [
      { local_field: 'customer_name', remote_field: 'name' },
      { local_field: 'email_id', remote_field: 'email' },
      { local_field: 'customer_group', remote_field: 'segment', transform: { type: 'value_map', map: { Commercial: 'b2b', Individual: 'b2c' } } },
      { local_field: 'credit_limit', remote_field: 'credit_cents', transform: { type: 'number', scale: 100 } },
    ],
    ...overrides,
  };
}

export interface SyncHarness {
  frappe: FrappeStandin;
  rest: RestStandin;
  sc: TestSidecar;
  put(profile?: Record<string, unknown>, id?: string): Promise<void>;
  /** Starts a run and waits until it ends; returns the run. */
  run(kind?: 'incremental' | 'full' | 'retry_failed', id?: string): Promise<Record<string, any>>;
  api(method: string, path: string, json?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(f: () => T | Promise<T>, what: string, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function startSyncHarness(o: { pagination?: Pagination; profile?: Record<string, unknown>; env?: Record<string, string> } = {}): Promise<SyncHarness> {
  const frappe = await new FrappeStandin().start();
  const rest = await new RestStandin(o.pagination ?? 'page').start();
  const sc = await startTestSidecar({ FRAPPE_URL: frappe.url, FRAPPE_API_KEY: frappe.apiKey, FRAPPE_API_SECRET: frappe.apiSecret, OUTBOUND_ALLOW_PRIVATE: 'true', ...o.env });
  const api = async (method: string, path: string, json?: unknown) => {
    const res = await sc.api(path, { method, ...(json !== undefined ? { json } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const conn = await api('PUT', '/v1/connections/crm', { base_url: rest.url, auth: { type: 'bearer', token: rest.token }, max_attempts: 1 });
  if (conn.status !== 200) throw new Error(`connection refused: ${JSON.stringify(conn.body)}`);
  const h: SyncHarness = {
    frappe, rest, sc, api,
    async put(profile = o.profile ?? restProfile(), id = 'customers') {
      const r = await api('PUT', `/v1/sync/profiles/${id}`, profile);
      if (r.status !== 200) throw new Error(`profile refused: ${JSON.stringify(r.body)}`);
    },
    async run(kind = 'incremental', id = 'customers') {
      const path = kind === 'retry_failed' ? `/v1/sync/profiles/${id}/retry-failed` : `/v1/sync/profiles/${id}/runs`;
      const started = await api('POST', path, kind === 'retry_failed' ? {} : { kind });
      if (started.status !== 202) throw new Error(`run refused: ${JSON.stringify(started.body)}`);
      return until(async () => {
        const r = await api('GET', `/v1/sync/profiles/${id}/runs/${started.body.run_id}`);
        return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : null;
      }, `run ${started.body.run_id}`, 60_000);
    },
    async close() {
      await sc.close();
      await frappe.stop();
      await rest.stop();
    },
  };
  await h.put();
  return h;
}
