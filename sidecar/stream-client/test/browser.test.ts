import { createServer } from 'node:http';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/streams/auth';
import { dropPrefix, startTestSidecar, uniquePrefix, type TestSidecar } from '../../test/helpers';
import { freePort, listenLocal, type LocalServer } from '../../test/local-server';

const TOKEN = 'browser-stream-token-0123456789';

/** The package bundled as the browser loads it (a global `StreamClientLib`). */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true, format: 'iife', globalName: 'StreamClientLib', platform: 'browser', target: 'es2022', write: false,
  });
  return out.outputFiles[0]!.text;
}

/** A page origin other than the sidecar's, so CORS and the WebSocket Origin check are real. */
function pageServer(script: string): Promise<LocalServer> {
  return listenLocal(createServer((req, res) => {
    if (req.url === '/client.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>stream client</title><script src="/client.js"></script>');
  }));
}

describe('stream client in Chromium', () => {
  const prefix = uniquePrefix('stbrowser');
  let port = 0;
  let sc: TestSidecar;
  let page: LocalServer;
  let browser: Browser;
  const start = () => startTestSidecar({ PORT: String(port), REDIS_PREFIX: prefix, STREAM_HEARTBEAT_MS: '1000' });
  const publish = async (from: number, n: number) => {
    const res = await sc.api('/v1/streams/live/events', { method: 'POST', json: { events: Array.from({ length: n }, (_, i) => ({ type: 'tick', data: { n: from + i } })) } });
    return ((await res.json()) as { ids: string[] }).ids;
  };

  beforeAll(async () => {
    port = await freePort();
    sc = await start();
    page = await pageServer(await bundle());
    await sc.api('/v1/streams/live', { method: 'PUT', json: { token_hashes: [hashToken(TOKEN)], cors_origins: [page.url] } });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await page?.close();
    await sc?.stop();
    await dropPrefix(prefix);
  });

  it('receives over SSE (fetch, Authorization header, CORS) and WebSocket, and resumes across a sidecar restart without a gap or a repeat', async () => {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(page.url);
    await tab.evaluate(
      ({ url, token }) => {
        const w = globalThis as any;
        w.got = { sse: [], ws: [] };
        w.log = { sse: [], ws: [] };
        for (const transport of ['sse', 'ws']) {
          const c = new w.StreamClientLib.StreamClient({ url, stream: 'live', token, transport, backoff: { initialMs: 100, maxMs: 1000 } });
          c.on('event', (e: any) => w.got[transport].push(`${e.id}:${e.data.n}`));
          c.on('connected', () => w.log[transport].push('connected'));
          c.on('disconnected', (d: any) => w.log[transport].push(`disconnected:${d.reason}`));
          c.on('reset', () => w.log[transport].push('reset'));
          c.start();
        }
      },
      { url: sc.url, token: TOKEN },
    );
    await tab.waitForFunction(() => (globalThis as any).log.sse.includes('connected') && (globalThis as any).log.ws.includes('connected'));
    const first = await publish(0, 3);
    await tab.waitForFunction(() => (globalThis as any).got.sse.length === 3 && (globalThis as any).got.ws.length === 3);

    // A graceful restart: subscribers are told to reconnect; events published while it is down come on resume.
    await sc.stop();
    sc = await start();
    const second = await publish(3, 4);
    await tab.waitForFunction(() => (globalThis as any).got.sse.length >= 7 && (globalThis as any).got.ws.length >= 7, undefined, { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const { got, log } = await tab.evaluate(() => ({ got: (globalThis as any).got, log: (globalThis as any).log }));
    const want = [...first, ...second].map((id, i) => `${id}:${i}`);
    expect(got.sse).toEqual(want);
    expect(got.ws).toEqual(want);
    expect(log.sse).toEqual(['connected', 'disconnected:shutdown', 'connected']);
    expect(log.ws[1]).toBe('disconnected:shutdown');
    expect(log.ws.at(-1)).toBe('connected');
    expect(errors).toEqual([]);
    await tab.close();
  });
});
