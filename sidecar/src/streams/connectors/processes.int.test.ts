import { afterEach, describe, expect, it } from 'vitest';
import { dropPrefix, uniquePrefix } from '../../../test/helpers';
import { FrappeStandin } from '../../../test/inbound/frappe-standin';
import { SidecarProcess } from '../../../test/sidecar-process';
import { RemoteSource } from '../../../test/streams/remote-source-process';
import { newKeyEntry } from '../../secrets/keyring';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('stream connectors across real sidecar processes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('two processes: one holds the remote connection; kill -9 of the holder, the other takes over on lease expiry and resumes, each event forwarded once', { timeout: 90_000 }, async () => {
    const prefix = uniquePrefix('scproc');
    cleanups.push(() => dropPrefix(prefix));
    const frappe = await new FrappeStandin().start();
    cleanups.push(() => frappe.close());
    const src = await new RemoteSource('sse', 150, 30, true).start();
    cleanups.push(() => src.kill());
    const env = {
      SECRETS_KEYS: newKeyEntry('t'), FRAPPE_URL: frappe.url, FRAPPE_API_KEY: 'k', FRAPPE_API_SECRET: 's',
      STREAM_CONNECTOR_TICK_MS: '300', STREAM_CONNECTOR_LEASE_MS: '2000',
    };
    const procs = [new SidecarProcess(prefix, env), new SidecarProcess(prefix, env)];
    for (const p of procs) cleanups.push(() => p.stop());
    await Promise.all(procs.map((p) => p.start()));
    const [a, b] = procs as [SidecarProcess, SidecarProcess];
    expect((await a.api('PUT', '/v1/inbound-endpoints/feed', { provider: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).status).toBe(200);
    const put = await b.api('PUT', '/v1/stream-connectors/shared', { url: src.url, transport: 'sse', inbound_endpoint: 'feed', min_backoff_ms: 100, max_backoff_ms: 1000 });
    expect(put.status).toBe(200);
    await until('30 events', () => frappe.stored.size >= 30);
    // Several ticks of both processes have passed: still one connection.
    expect(src.connects).toHaveLength(1);
    const first = (await a.api('GET', '/v1/stream-connectors/shared')).body.status;
    expect(first.state).toBe('connected');
    const holderHealth = await Promise.all(procs.map(async (p) => ((await (await fetch(`${p.url}/healthz`)).json()) as Record<string, any>)));
    const holderIdx = holderHealth.findIndex((h) => JSON.stringify(h).includes(first.holder));
    expect(holderIdx).toBeGreaterThanOrEqual(0);
    const holder = procs[holderIdx]!;
    const other = procs[1 - holderIdx]!;

    await holder.kill();
    // What the killed process had read from the inbound queue waits for the forwarders' orphan
    // claim (60 s): the sidecar's own listing says what was queued, and how often.
    type Listed = { provider_event_id: string };
    const listed = async () => (await other.api('GET', '/v1/inbound-endpoints/feed/events?limit=1000')).body as Listed[];
    await until('150 events queued', async () => (await listed()).length >= 150);
    await sleep(500);
    const queued = (await listed()).map((e) => e.provider_event_id);
    expect(queued).toHaveLength(150);
    expect(new Set(queued).size).toBe(150);
    expect(src.connects).toHaveLength(2);
    expect(Number(src.connects[1]!.resume)).toBeGreaterThanOrEqual(30);
    const byId = new Map<string, Set<string>>();
    for (const e of frappe.received) byId.set(e.provider_event_id, (byId.get(e.provider_event_id) ?? new Set()).add(e.sidecar_id));
    expect(byId.size).toBeGreaterThanOrEqual(100);
    for (const [, sent] of byId) expect(sent.size).toBe(1);
    const after = (await other.api('GET', '/v1/stream-connectors/shared')).body;
    expect(after.status.holder).not.toBe(first.holder);
    expect(after.status.state).toBe('connected');
  });
});
