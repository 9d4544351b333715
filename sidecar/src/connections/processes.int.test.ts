import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, uniquePrefix } from '../../test/helpers';
import { SidecarProcess } from '../../test/sidecar-process';
import { newKeyEntry } from '../secrets/keyring';
import { LOCAL_ADMIT_TTL_MS } from './admit-cache';
import { startPeer, type TestPeer } from '../../test/connections/peer';

/** Two real sidecar processes on one Redis prefix and key ring: the limits are the deployment's, not each process's. */
describe('connections across two sidecar processes', () => {
  const prefix = uniquePrefix('cn2p');
  const env = { SECRETS_KEYS: newKeyEntry('k1') };
  const procs = [new SidecarProcess(prefix, env), new SidecarProcess(prefix, env)];
  let peer: TestPeer;
  beforeAll(async () => {
    peer = await startPeer();
    await Promise.all(procs.map((p) => p.start()));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await peer.close();
    await dropPrefix(prefix);
  });

  it('shares one rate limit: 40 calls through two processes at 20/s take ≈ 2 s, not 1', async () => {
    // Warm both processes (JIT, keep-alive sockets) so cold starts do not bunch the first arrivals.
    await procs[0]!.api('PUT', '/v1/connections/warm', { base_url: peer.url, auth: { type: 'bearer', token: 't' } });
    for (const p of procs) await Promise.all(Array.from({ length: 20 }, () => p.api('POST', '/v1/connections/warm/proxy', { method: 'GET', path: '/w' })));
    peer.requests.length = 0;
    const put = await procs[0]!.api('PUT', '/v1/connections/limited', { base_url: peer.url, auth: { type: 'bearer', token: 't' }, rate_limit_per_s: 20 });
    expect(put.status).toBe(200);
    const t0 = Date.now();
    const calls = procs.flatMap((p) => Array.from({ length: 20 }, () => p.api('POST', '/v1/connections/limited/proxy', { method: 'GET', path: '/x' })));
    const results = await Promise.all(calls);
    expect(results.every((r) => r.status === 200 && r.body.status === 200)).toBe(true);
    const at = peer.requests.map((q) => q.at).sort((a, b) => a - b);
    expect(at).toHaveLength(40);
    // GCRA gives the k-th call the slot t0 + k·50 ms or later, whichever process admits it: a
    // call may leave late (a starved process sends its due calls together) but never early.
    // Two separate 20/s limits would let the 40th call arrive after ≈ 0.95 s instead of ≥ 1.95 s.
    at.forEach((t, k) => expect(t - t0).toBeGreaterThanOrEqual(k * 50 - 10));
  });

  it('per-minute stats in Redis sum the calls of both processes (GET …/stats from either)', async () => {
    await procs[0]!.api('PUT', '/v1/connections/counted', { base_url: peer.url, auth: { type: 'bearer', token: 't' }, max_attempts: 1, breaker: { failure_threshold: 100, cooldown_s: 60 } });
    peer.handler = (q, res) => void res.writeHead(q.url.startsWith('/fail') ? 500 : 200, { 'content-type': 'application/json' }).end('{}');
    const calls = [
      ...Array.from({ length: 12 }, () => procs[0]!.api('POST', '/v1/connections/counted/proxy', { method: 'GET', path: '/ok' })),
      ...Array.from({ length: 7 }, () => procs[1]!.api('POST', '/v1/connections/counted/proxy', { method: 'GET', path: '/ok' })),
      ...Array.from({ length: 4 }, () => procs[1]!.api('POST', '/v1/connections/counted/proxy', { method: 'GET', path: '/fail' })),
    ];
    expect((await Promise.all(calls)).every((r) => r.status === 200)).toBe(true);
    // Each process writes its counts about once a second.
    const total = async (p: SidecarProcess) => (await p.api('GET', '/v1/connections/counted/stats?minutes=5')).body;
    await expect.poll(async () => (await total(procs[0]!)).totals.calls, { timeout: 5000, interval: 200 }).toBe(23);
    for (const p of procs) {
      const stats = await total(p);
      expect(stats).toMatchObject({ connection_id: 'counted', minutes: 5, totals: { calls: 23, errors: 4, by_result: { '2xx': 19, '5xx': 4 } }, breaker: { state: 'closed' } });
      expect(stats.series).toHaveLength(5);
      const latency = stats.series.flatMap((m: any) => m.latency_counts).reduce((a: number, b: number) => a + b, 0);
      expect(latency).toBe(23);
      expect(stats.latency_buckets_ms.at(-1)).toBeNull();
      expect(stats.series.at(-1).minute <= new Date().toISOString()).toBe(true);
    }
    const both = await procs[1]!.api('POST', '/v1/connections/stats/lookup', { ids: ['counted', 'never-called'], minutes: 2 });
    expect(both.body.connections.counted.totals.calls).toBe(23);
    expect(both.body.connections['never-called']).toMatchObject({ totals: { calls: 0, errors: 0 }, breaker: { state: 'closed' } });
    expect((await procs[0]!.api('GET', '/v1/connections/counted/stats?minutes=181')).status).toBe(400);
    expect((await procs[0]!.api('GET', '/v1/connections/nope/stats')).status).toBe(404);
  });

  it('shares one circuit breaker: failures through one process open it for the other', async () => {
    await procs[0]!.api('PUT', '/v1/connections/brk', { base_url: peer.url, auth: { type: 'bearer', token: 't' }, max_attempts: 1, breaker: { failure_threshold: 2, cooldown_s: 60 } });
    peer.handler = (_q, res) => void res.writeHead(500).end();
    for (let i = 0; i < 2; i++) expect((await procs[0]!.api('POST', '/v1/connections/brk/proxy', { method: 'GET', path: '/x' })).body.status).toBe(500);
    const before = peer.requests.length;
    const other = await procs[1]!.api('POST', '/v1/connections/brk/proxy', { method: 'GET', path: '/x' });
    expect(other.status).toBe(503);
    expect(other.body.error.code).toBe('circuit_open');
    expect(peer.requests.length).toBe(before);
    // The minute's stats show the breaker open (seen by both) and the refused call as an error.
    await expect.poll(async () => (await procs[0]!.api('GET', '/v1/connections/brk/stats?minutes=2')).body.totals.calls, { timeout: 5000, interval: 200 }).toBe(3);
    const stats = (await procs[0]!.api('GET', '/v1/connections/brk/stats?minutes=2')).body;
    expect(stats).toMatchObject({ breaker: { state: 'open' }, totals: { errors: 3, by_result: { '5xx': 2, circuit_open: 1 } } });
    expect(stats.series.map((m: any) => m.breaker)).toContain('open');
  });

  // The other process admits these calls from memory (no rate limit): what changes must reach it
  // through the events channel well before LOCAL_ADMIT_TTL_MS would have expired its copy.
  const seenWithin = { timeout: LOCAL_ADMIT_TTL_MS / 4, interval: 10 };
  const ok = (_q: unknown, res: import('node:http').ServerResponse) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');

  it('a PUT, a disable and a DELETE through one process reach the other at once, though it admits from memory', async () => {
    peer.handler = ok;
    const [a, b] = procs as [SidecarProcess, SidecarProcess];
    await a.api('PUT', '/v1/connections/moving', { base_url: peer.url, auth: { type: 'bearer', token: 'old' } });
    for (let i = 0; i < 5; i++) expect((await b.api('POST', '/v1/connections/moving/proxy', { method: 'GET', path: '/x' })).body.status).toBe(200);
    expect(peer.requests.at(-1)!.headers.authorization).toBe('Bearer old');

    await a.api('PUT', '/v1/connections/moving', { base_url: peer.url, auth: { type: 'bearer', token: 'new' } });
    await expect.poll(async () => (await b.api('POST', '/v1/connections/moving/proxy', { method: 'GET', path: '/x' }), peer.requests.at(-1)!.headers.authorization), seenWithin).toBe('Bearer new');

    await a.api('PUT', '/v1/connections/moving', { base_url: peer.url, auth: { type: 'bearer', token: 'new' }, enabled: false });
    await expect.poll(async () => (await b.api('POST', '/v1/connections/moving/proxy', { method: 'GET', path: '/x' })).body.error?.code, seenWithin).toBe('connection_disabled');

    await a.api('PUT', '/v1/connections/moving', { base_url: peer.url, auth: { type: 'bearer', token: 'new' } });
    await expect.poll(async () => (await b.api('POST', '/v1/connections/moving/proxy', { method: 'GET', path: '/x' })).body.status, seenWithin).toBe(200);
    expect((await a.api('DELETE', '/v1/connections/moving')).status).toBe(204);
    await expect.poll(async () => (await b.api('POST', '/v1/connections/moving/proxy', { method: 'GET', path: '/x' })).body.error?.code, seenWithin).toBe('not_found');
  });

  it('a breaker opened through one process stops the other, which was admitting from memory', async () => {
    peer.handler = ok;
    const [a, b] = procs as [SidecarProcess, SidecarProcess];
    await a.api('PUT', '/v1/connections/brk2', { base_url: peer.url, auth: { type: 'bearer', token: 't' }, max_attempts: 1, breaker: { failure_threshold: 2, cooldown_s: 60 } });
    for (let i = 0; i < 5; i++) expect((await b.api('POST', '/v1/connections/brk2/proxy', { method: 'GET', path: '/x' })).body.status).toBe(200);
    peer.handler = (_q, res) => void res.writeHead(500).end();
    for (let i = 0; i < 2; i++) expect((await a.api('POST', '/v1/connections/brk2/proxy', { method: 'GET', path: '/x' })).body.status).toBe(500);
    // The failure was published before the script's reply reached the first process: the next
    // call through the second is refused without reaching the upstream.
    const before = peer.requests.length;
    expect((await b.api('POST', '/v1/connections/brk2/proxy', { method: 'GET', path: '/x' })).body.error?.code).toBe('circuit_open');
    expect(peer.requests.length).toBe(before);
  });
});
