import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type TestReceiver } from './delivery/receiver';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from './helpers';
import { freePort } from './local-server';

const TOKEN = 'crash-test-token-0123456789';
const SIDECAR_DIR = resolve(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real sidecar process (`node --import tsx src/main.ts`), as an operator runs it. */
class SidecarProcess {
  child: ChildProcess | null = null;
  output = '';
  constructor(
    readonly port: number,
    readonly prefix: string,
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: SIDECAR_DIR,
      env: {
        PATH: process.env.PATH, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: this.prefix, PORT: String(this.port), SIDECAR_TOKEN: TOKEN,
        OUTBOUND_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'ia-crash-')),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const until = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
      if (this.child.exitCode !== null || Date.now() > until) throw new Error(`sidecar did not start:\n${this.output}`);
      await sleep(100);
    }
  }
  kill9() {
    this.child?.kill('SIGKILL');
  }
  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((ok) => c.once('exit', ok));
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  api(method: 'PUT' | 'POST', path: string, json: unknown) {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
  }
}

/** Posts batches like Frappe's outbox does: a batch that got no 202 is sent again until it does. */
async function postAll(targets: () => SidecarProcess, ids: string[], batch = 100) {
  for (let i = 0; i < ids.length; i += batch) {
    const messages = ids.slice(i, i + batch).map((id) => ({ id, endpoint_id: 'rx', event_type: 't', payload: { id } }));
    for (;;) {
      const res = await targets().api('POST', '/v1/messages', { messages }).catch(() => null);
      if (res?.status === 202) break;
      await sleep(100);
    }
  }
}

async function statuses(sc: SidecarProcess, ids: string[]) {
  const found: Record<string, string> = {};
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await sc.api('POST', '/v1/messages/lookup', { ids: ids.slice(i, i + 1000) });
    Object.assign(found, ((await res.json()) as { found: Record<string, string> }).found);
  }
  return found;
}

const counts = (rx: TestReceiver) => {
  const c = new Map<string, number>();
  for (const r of rx.received) c.set(r.id, (c.get(r.id) ?? 0) + 1);
  return c;
};

describe('sidecar processes', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('kill -9 mid-run loses nothing: every message reaches the receiver and ends succeeded', { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix('crash');
    const rx = await startReceiver(async (_q, _b, res) => {
      await sleep(5);
      res.writeHead(204).end();
    });
    const sc = new SidecarProcess(await freePort(), prefix);
    cleanup.push(() => dropPrefix(prefix), () => rx.close(), () => sc.stop());
    await sc.start();
    expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none' })).status).toBe(200);

    const ids = Array.from({ length: 2000 }, (_, i) => `c${i}`);
    const posting = postAll(() => sc, ids);
    await rx.waitFor((r) => r.length >= 300, 30_000);
    sc.kill9();
    await new Promise((ok) => sc.child!.once('exit', ok));
    const atKill = new Set(rx.received.map((r) => r.id)).size;
    await sc.start();
    await posting;

    await rx.waitFor(() => counts(rx).size === ids.length, 90_000);
    const until = Date.now() + 30_000;
    let st = await statuses(sc, ids);
    while (Object.values(st).some((s) => s !== 'succeeded') && Date.now() < until) {
      await sleep(500);
      st = await statuses(sc, ids);
    }
    expect(Object.keys(st)).toHaveLength(ids.length);
    expect(Object.values(st).every((s) => s === 'succeeded')).toBe(true);
    expect(atKill).toBeLessThan(ids.length);
    const dupes = [...counts(rx).values()].filter((n) => n > 1).length;
    console.log(`crash test: ${atKill} delivered before kill -9, ${rx.received.length} requests for ${ids.length} messages (${dupes} redelivered)`);
  });

  it('two processes on one prefix share the deliveries', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('pair');
    const rx = await startReceiver(async (_q, _b, res) => {
      await sleep(2);
      res.writeHead(204).end();
    });
    const a = new SidecarProcess(await freePort(), prefix);
    const b = new SidecarProcess(await freePort(), prefix);
    cleanup.push(() => dropPrefix(prefix), () => rx.close(), () => a.stop(), () => b.stop());
    await Promise.all([a.start(), b.start()]);
    await a.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none' });

    const ids = Array.from({ length: 2000 }, (_, i) => `p${i}`);
    await Promise.all([postAll(() => a, ids.slice(0, 1000)), postAll(() => b, ids.slice(1000))]);
    await rx.waitFor(() => counts(rx).size === ids.length, 30_000);
    // The receiver answers before the sidecar records the outcome: wait for the records.
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
      if (Object.values(await statuses(a, ids)).filter((s) => s === 'succeeded').length === ids.length) break;
    }

    const succeeded = async (sc: SidecarProcess) => {
      const text = await (await fetch(`${sc.url}/metrics`)).text();
      return Number(/sidecar_deliveries_total\{result="succeeded"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const [na, nb] = [await succeeded(a), await succeeded(b)];
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
    expect(na + nb).toBeGreaterThanOrEqual(ids.length);
    // At-least-once: redeliveries are allowed, but without a crash there should be (almost) none.
    expect(rx.received.length - ids.length).toBeLessThanOrEqual(ids.length / 100);
    console.log(`two processes: ${na} + ${nb} deliveries for ${ids.length} messages`);
  });
});
