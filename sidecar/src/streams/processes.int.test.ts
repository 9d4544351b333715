import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StreamClient, type WebSocketConstructor } from '../../stream-client/src';
import { dropPrefix, uniquePrefix } from '../../test/helpers';
import { SidecarProcess } from '../../test/sidecar-process';
import { SseTestClient, WsTestClient } from '../../test/streams/clients';
import { newKeyEntry } from '../secrets/keyring';
import { hashToken } from './auth';

const TOKEN = 'process-stream-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('streams across real sidecar processes', () => {
  const started: SidecarProcess[] = [];
  let prefix = '';
  const proc = async (env: Record<string, string> = {}, port?: number) => {
    const p = new SidecarProcess(prefix, { SECRETS_KEYS: newKeyEntry('t'), ...env });
    started.push(p);
    return p.start(port);
  };
  const publish = async (p: SidecarProcess, stream: string, n: number) => {
    const r = await p.api('POST', `/v1/streams/${stream}/events`, { events: [{ type: 'n', data: { n } }] });
    if (r.status !== 202) throw new Error(`publish ${n}: ${r.status}`);
    return r.body.ids[0] as string;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
    await dropPrefix(prefix);
  });

  it('two processes serve one stream: each subscriber gets every event, in one order, whichever process published it', async () => {
    prefix = uniquePrefix('st2');
    const [a, b] = await Promise.all([proc(), proc()]);
    await a.api('PUT', '/v1/streams/shared', { token_hashes: [hashToken(TOKEN)] });
    const onA = await SseTestClient.open(`${a.url}/v1/streams/shared/sse?token=${TOKEN}`);
    const onB = await WsTestClient.open(`${b.url}/v1/streams/shared/ws?token=${TOKEN}`);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await publish(i % 2 ? b : a, 'shared', i));
    await onA.waitEvents(40);
    await onB.waitEvents(40);
    for (const c of [onA, onB]) {
      expect(c.events.map((e) => e.id)).toEqual(ids);
      expect(c.events.map((e) => e.data.n)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    onA.close();
    onB.close();
  });

  it('GET /v1/streams/{stream} lists the consumers of every process, whichever answers; a stopped process\'s go', { timeout: 60_000 }, async () => {
    prefix = uniquePrefix('stcons');
    const [a, b] = await Promise.all([proc({ STREAM_HEARTBEAT_MS: '300' }), proc({ STREAM_HEARTBEAT_MS: '300' })]);
    await a.api('PUT', '/v1/streams/watched', { token_hashes: [hashToken(TOKEN)] });
    const onA = await SseTestClient.open(`${a.url}/v1/streams/watched/sse?token=${TOKEN}`);
    const onB1 = await WsTestClient.open(`${b.url}/v1/streams/watched/ws?token=${TOKEN}`);
    const onB2 = await SseTestClient.open(`${b.url}/v1/streams/watched/sse?token=${TOKEN}`);
    const id = await publish(a, 'watched', 1);
    for (const c of [onA, onB1, onB2]) await c.waitEvents(1);
    type Listed = { transport: string; last_event_id: string | null; process: string };
    const listed = async (p: SidecarProcess) => ((await p.api('GET', '/v1/streams/watched')).body.stats.clients as Listed[]);
    // Another process's figures are up to one heartbeat old: wait until both list all three at the event.
    const current = (all: Listed[]) => all.length === 3 && all.every((c) => c.last_event_id === id);
    const until = Date.now() + 10_000;
    while (!current(await listed(a)) || !current(await listed(b))) {
      if (Date.now() > until) throw new Error(`consumers not listed: ${JSON.stringify(await listed(a))}`);
      await sleep(100);
    }
    for (const p of [a, b]) {
      const all = await listed(p);
      expect(all.map((c) => c.transport).sort()).toEqual(['sse', 'sse', 'ws']);
      expect(new Set(all.map((c) => c.process)).size).toBe(2);
      expect(all.every((c) => c.last_event_id === id)).toBe(true);
    }
    await b.kill();
    const gone = Date.now() + 10_000;
    while ((await listed(a)).length !== 1) {
      if (Date.now() > gone) throw new Error('a killed process\'s consumers stayed listed');
      await sleep(100);
    }
    expect((await listed(a))[0]!.transport).toBe('sse');
    for (const c of [onA, onB1, onB2]) c.close();
  });

  it('a consumer that never reads is cut off and the sidecar\'s memory stays bounded', { timeout: 120_000 }, async () => {
    prefix = uniquePrefix('stmem');
    const p = await proc({ STREAM_CLIENT_BUFFER_BYTES: String(256 * 1024), STREAM_HEARTBEAT_MS: '60000' });
    await p.api('PUT', '/v1/streams/big', { token_hashes: [hashToken(TOKEN)], max_len: 20 });
    const rss = async () => {
      const text = await (await fetch(`${p.url}/metrics`)).text();
      return Number(/sidecar_process_resident_memory_bytes (\d+)/.exec(text)![1]) / 1024 ** 2;
    };
    // Warm up the paths (JIT, buffers) before the baseline.
    for (let i = 0; i < 50; i++) await p.api('POST', '/v1/streams/big/events', { events: [{ type: 'big', data: 'w'.repeat(64 * 1024) }] });
    const before = await rss();
    const raw = connect(p.port, '127.0.0.1');
    raw.write(`GET /v1/streams/big/sse HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`);
    await sleep(200);
    // 256 MiB published to a subscriber that reads nothing: unbounded, its buffer alone would take that;
    // bounded, the process grows by what handling 256 MiB of requests leaves to the garbage collector.
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 4096; i += 8) {
      await p.api('POST', '/v1/streams/big/events', { events: Array.from({ length: 8 }, () => ({ type: 'big', data: big })) });
    }
    const after = await rss();
    const metrics = await (await fetch(`${p.url}/metrics`)).text();
    expect(metrics).toMatch(/sidecar_stream_drops_total\{stream="big",transport="sse",reason="slow_consumer"\} 1/);
    expect(metrics).toMatch(/sidecar_stream_clients\{stream="big",transport="sse"\} 0/);
    console.log(`slow consumer: sidecar RSS ${before.toFixed(0)} MiB → ${after.toFixed(0)} MiB after 256 MiB published`);
    expect(after - before).toBeLessThan(128);
    raw.destroy();
  });

  it('kill -9 with clients connected: the client package reconnects to the restarted sidecar and resumes, no gap, no duplicate', { timeout: 120_000 }, async () => {
    prefix = uniquePrefix('stkill');
    const [served, publisher] = await Promise.all([proc(), proc()]);
    const port = served.port;
    await publisher.api('PUT', '/v1/streams/k', { token_hashes: [hashToken(TOKEN)] });
    const clients = (['sse', 'ws'] as const).map((transport) => {
      const c = new StreamClient({
        url: served.url, stream: 'k', token: TOKEN, transport, WebSocket: WebSocket as unknown as WebSocketConstructor,
        backoff: { initialMs: 100, maxMs: 500 }, idleTimeoutMs: 5000,
      });
      const got: string[] = [];
      const log: string[] = [];
      c.on('event', (e) => got.push(e.id));
      c.on('connected', () => log.push('connected'));
      c.on('disconnected', (d) => log.push(`disconnected:${d.reason}`));
      c.on('reset', () => log.push('reset'));
      c.on('give_up', () => log.push('give_up'));
      return { c, got, log, ready: new Promise<void>((ok) => c.on('connected', () => ok())) };
    });
    for (const x of clients) x.c.start();
    await Promise.all(clients.map((x) => x.ready));
    const ids: string[] = [];
    let n = 0;
    // Events keep coming through the other process the whole time.
    let publishing = true;
    const pump = (async () => {
      while (publishing) {
        ids.push(await publish(publisher, 'k', n++));
        await sleep(10);
      }
    })();
    await sleep(500);
    await served.kill();
    await sleep(700);
    await served.start(port);
    await sleep(700);
    publishing = false;
    await pump;
    const deadline = Date.now() + 15_000;
    while (clients.some((x) => x.got.length < ids.length) && Date.now() < deadline) await sleep(50);
    for (const x of clients) {
      expect(x.got).toEqual(ids);
      expect(x.log[0]).toBe('connected');
      expect(x.log).toContain('disconnected:network');
      expect(x.log.filter((l) => l === 'connected').length).toBeGreaterThanOrEqual(2);
      expect(x.log).not.toContain('reset');
      x.c.close();
    }
    console.log(`kill -9: ${ids.length} events published across the restart; each client got all, in order (${clients.map((x) => x.log.join(' ')).join(' | ')})`);
  });
});
