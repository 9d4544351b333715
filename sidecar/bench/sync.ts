/**
 * `npm run bench:sync`: the sync engine in a real sidecar process (src/main.ts, Redis at
 * REDIS_URL under a fresh prefix, deleted afterwards) between the two stand-in stores the tests
 * use, served from this process: the Frappe site (test/sync/frappe-standin.ts, the whitelisted
 * methods of docs/sync.md) and a REST resource (test/sync/rest-standin.ts, through a Connection
 * and the proxy's policy).
 *  - initial: a full two-way run over BENCH_INITIAL (10,000) records, half created on each side;
 *    initial_per_s = records / wall time from the run request to its end;
 *  - incremental: BENCH_TOTAL (100,000) records already synced (both stores and their Sync Log
 *    rows seeded an hour back, the profile's cursors handed over by `get_profile`), then
 *    BENCH_CHANGES (100) edits, half on each side; an incremental run.
 *    incremental_touched = records the run read from either store (stats.seen), incremental_ms
 *    its wall time.
 * Not a test. The last line is JSON.
 */
import { performance } from 'node:perf_hooks';
import { hashCanon, localCanon, remoteCanon } from '../src/sync/mapping';
import { ProfileInput } from '../src/sync/schemas';
import { dropPrefix } from '../test/helpers';
import { FrappeStandin, naive } from '../test/sync/frappe-standin';
import { restProfile } from '../test/sync/harness';
import { RestStandin } from '../test/sync/rest-standin';
import { startBenchSidecar } from './processes';

const INITIAL = Number(process.env.BENCH_INITIAL ?? 10_000);
const TOTAL = Number(process.env.BENCH_TOTAL ?? 100_000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const TOKEN = 'bench-token-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(url: string, method: string, path: string, json?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: json !== undefined ? JSON.stringify(json) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function runToEnd(url: string, profile: string, kind: 'full' | 'incremental') {
  const t0 = performance.now();
  const started = await api(url, 'POST', `/v1/sync/profiles/${profile}/runs`, { kind });
  let phase = '';
  for (;;) {
    const r = await api(url, 'GET', `/v1/sync/profiles/${profile}/runs/${started.run_id}`);
    if (process.env.BENCH_VERBOSE && r.phase !== phase) {
      phase = r.phase;
      console.log(`  ${Math.round(performance.now() - t0)} ms: phase ${phase} ${JSON.stringify(r.stats)}`);
    }
    if (r.status === 'succeeded') return { run: r, ms: performance.now() - t0 };
    if (r.status === 'failed') throw new Error(`run failed: ${r.error}`);
    await sleep(20);
  }
}

const profileFor = () => restProfile({ page_size: 500, lookback_s: 300 });

async function main() {
  const frappe = await new FrappeStandin().start();
  const rest = await new RestStandin('cursor').start();
  // The incremental profile's remote resource: a store of its own, like its own DocType locally.
  const big = await new RestStandin('cursor', 'big-token').start();
  const prefix = `iabench:sync:${Date.now().toString(36)}`;
  const { url } = await startBenchSidecar(prefix, TOKEN, { FRAPPE_URL: frappe.url, FRAPPE_API_KEY: frappe.apiKey, FRAPPE_API_SECRET: frappe.apiSecret, OUTBOUND_ALLOW_PRIVATE: 'true' });
  try {
    await api(url, 'PUT', '/v1/connections/crm', { base_url: rest.url, auth: { type: 'bearer', token: rest.token }, max_attempts: 3 });
    await api(url, 'PUT', '/v1/connections/big', { base_url: big.url, auth: { type: 'bearer', token: big.token }, max_attempts: 3 });
    const remote = { ...profileFor().remote, pagination: { style: 'cursor' } };

    // --- initial two-way sync ---
    for (let i = 0; i < INITIAL / 2; i++) frappe.insert('Customer', { customer_name: `L${i}`, email_id: `l${i}@x.test`, customer_group: 'Commercial', credit_limit: i });
    for (let i = 0; i < INITIAL / 2; i++) rest.put({ name: `R${i}`, email: `r${i}@x.test`, segment: 'b2c', credit_cents: i * 100 });
    await api(url, 'PUT', '/v1/sync/profiles/initial', { ...profileFor(), remote });
    const initial = await runToEnd(url, 'initial', 'full');
    if (initial.run.stats.created !== INITIAL || rest.live().length !== INITIAL || frappe.table('Customer').size !== INITIAL) {
      throw new Error(`initial sync incomplete: ${JSON.stringify(initial.run.stats)}`);
    }
    const initialPerS = Math.round(INITIAL / (initial.ms / 1000));
    console.log(`initial two-way sync: ${INITIAL} records in ${Math.round(initial.ms)} ms = ${initialPerS}/s (${JSON.stringify(initial.run.stats)})`);

    // --- 100 changes among 100,000 synced records ---
    const bigRemote = { ...remote, connection_id: 'big' };
    const bigProfile = { ...profileFor(), lookback_s: 60, local_doctype: 'Invoice', remote: bigRemote };
    const p = ProfileInput.parse(bigProfile);
    const links = { toExternal: () => undefined, toLocal: () => undefined };
    // Written over the past ~11 days, one every 10 s; the last an hour ago.
    const hourAgo = Date.now() - 3_600_000;
    const at = (i: number) => hourAgo - (TOTAL - 1 - i) * 10_000;
    const stamp = naive(at(TOTAL - 1));
    const remoteStamp = new Date(at(TOTAL - 1)).toISOString();
    for (let i = 0; i < TOTAL; i++) {
      const doc = frappe.insert('Invoice', { customer_name: `C${i}`, email_id: `c${i}@x.test`, customer_group: 'Commercial', credit_limit: i }, { modified: naive(at(i)), name: `INV-${String(i).padStart(6, '0')}` });
      const rec = big.put({ name: `C${i}`, email: `c${i}@x.test`, segment: 'b2b', credit_cents: i * 100 }, { id: `inv${i}`, updated_at: new Date(at(i)).toISOString() });
      const L = localCanon(p, doc);
      frappe.seedLog('big', {
        local_name: doc.name, external_id: rec.id, status: 'Synced', local_hash: hashCanon(L), remote_hash: hashCanon(remoteCanon(p, rec, links)), base_values: L,
      });
    }
    frappe.changes.length = 0;
    frappe.profiles.set('big', { ...bigProfile, state: { local_cursor: { modified: stamp, name: `INV-${String(TOTAL - 1).padStart(6, '0')}` }, remote_cursor: remoteStamp, deleted_cursor: null } });
    const inv = (k: number) => `INV-${String(k).padStart(6, '0')}`;
    for (let i = 0; i < CHANGES; i++) {
      const k = Math.floor((i * TOTAL) / CHANGES);
      if (i % 2 === 0) frappe.edit('Invoice', inv(k), { email_id: `changed${k}@x.test` });
      else big.put({ email: `changed${k}@x.test` }, { id: `inv${k}` });
    }
    // The profile is not PUT: the sidecar asks Frappe for it (and its cursors), as after a Redis loss.
    const inc = await runToEnd(url, 'big', 'incremental');
    const changed = [...Array(CHANGES).keys()].map((i) => Math.floor((i * TOTAL) / CHANGES));
    const wrong = changed.filter((k) => frappe.table('Invoice').get(inv(k))!.email_id !== `changed${k}@x.test` || big.records.get(`inv${k}`)!.email !== `changed${k}@x.test`);
    if (wrong.length) throw new Error(`${wrong.length} changes did not reach the other side`);
    console.log(`incremental: ${CHANGES} changes among ${TOTAL} records in ${Math.round(inc.ms)} ms; read ${inc.run.stats.seen} records (${JSON.stringify(inc.run.stats)})`);
    console.log(
      JSON.stringify({ initial_per_s: initialPerS, incremental_touched: inc.run.stats.seen, total: TOTAL, incremental_ms: Math.round(inc.ms), initial_records: INITIAL, changes: CHANGES, incremental_updated: inc.run.stats.updated }),
    );
  } finally {
    await frappe.stop();
    await rest.stop();
    await big.stop();
    await dropPrefix(prefix);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
