/**
 * Tails a stream and prints each event, reconnecting and resuming on its own.
 *
 *   SIDECAR_URL=http://127.0.0.1:8787 STREAM=customers STREAM_TOKEN=… npm run example -w @integrations-app/stream-client
 *   (TRANSPORT=ws for WebSocket; LAST_EVENT_ID=… to resume from an id printed by an earlier run)
 *
 * With `--demo` it needs nothing: it starts a sidecar on a free port (Redis on 127.0.0.1:6379),
 * creates a stream with a fresh token, publishes an event a second, and tails it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { StreamClient, type WebSocketConstructor } from '../src';

async function demo(): Promise<{ url: string; stream: string; token: string; stop: () => Promise<void> }> {
  const { loadConfig } = await import('../../src/config');
  const { startSidecar } = await import('../../src/app');
  const { hashToken } = await import('../../src/streams/auth');
  const { newKeyEntry } = await import('../../src/secrets/keyring');
  const admin = randomBytes(16).toString('hex');
  const sidecar = await startSidecar(
    loadConfig({ PORT: '0', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: `demo-${randomBytes(3).toString('hex')}`, SIDECAR_TOKEN: admin, LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'stream-demo-')), SECRETS_KEYS: newKeyEntry('demo') }),
  );
  const token = randomBytes(24).toString('base64url');
  const call = (path: string, method: string, body: unknown) =>
    fetch(`${sidecar.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await call('/v1/streams/demo', 'PUT', { token_hashes: [hashToken(token)], max_len: 1000 });
  let n = 0;
  const timer = setInterval(() => void call('/v1/streams/demo/events', 'POST', { events: [{ type: 'tick', data: { n: n++, at: new Date().toISOString() } }] }), 1000);
  return {
    url: sidecar.url, stream: 'demo', token,
    stop: async () => {
      clearInterval(timer);
      await call('/v1/streams/demo', 'DELETE', {});
      await sidecar.stop();
    },
  };
}

const env = process.env;
const target = process.argv.includes('--demo')
  ? await demo()
  : { url: env.SIDECAR_URL ?? 'http://127.0.0.1:8787', stream: env.STREAM ?? '', token: env.STREAM_TOKEN ?? '', stop: async () => {} };
if (!target.stream || !target.token) {
  console.error('set STREAM and STREAM_TOKEN (and SIDECAR_URL), or run with --demo');
  process.exit(2);
}

const client = new StreamClient({
  url: target.url,
  stream: target.stream,
  token: target.token,
  transport: env.TRANSPORT === 'ws' ? 'ws' : 'sse',
  lastEventId: env.LAST_EVENT_ID,
  // Node 20 has no global WebSocket; browsers and Node 22+ need no option.
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  backoff: { initialMs: 500, maxMs: 15_000 },
  giveUp: { maxDisconnectedMs: 10 * 60_000 },
});
client.on('connected', ({ transport, lastEventId }) => console.log(`connected over ${transport}, resuming after ${lastEventId ?? '(now)'}`));
client.on('event', (e) => console.log(`${e.id} ${e.type} ${JSON.stringify(e.data)}`));
client.on('reset', (r) => console.log(`reset: events after ${r.requested_id} are no longer kept; continuing from ${r.oldest_id}`));
client.on('disconnected', (d) => console.log(`disconnected (${d.reason})${d.willRetry ? `, retrying in ${d.retryInMs} ms` : ''}`));
client.on('give_up', (g) => {
  console.log(`gave up after ${g.attempts} attempts: ${g.reason}`);
  process.exitCode = 1;
});
client.start();

const seconds = Number(env.SECONDS ?? (process.argv.includes('--demo') ? 5 : 0));
const finish = async () => {
  client.close();
  await target.stop();
};
if (seconds > 0) setTimeout(() => void finish(), seconds * 1000);
process.on('SIGINT', () => void finish());
