import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../../test/connections/moto';
import { dropPrefix, uniquePrefix } from '../../test/helpers';
import { SidecarProcess, TOKEN } from '../../test/sidecar-process';

/**
 * Uploads through `PUT /v1/connections/{id}/objects/{key}` are streamed, not buffered: a real
 * sidecar process (its resident memory read from /proc) passes 128 MiB files to moto, and its
 * memory grows by well under the file's size, whether the size is declared (one PUT, kept on
 * disk first, or chunk-signed as it passes with UPLOAD_SPOOL_DIR=off) or not (a multipart upload
 * of 8 MiB parts). Buffered whole, it would grow by at least the file. The bytes arrive whole
 * (SHA-256 compared), so nothing was skipped to save memory.
 */
const MiB = 1024 * 1024;
const FILE = 128 * MiB;
/** Half the file: a streamed upload stays far below it, a buffered one cannot. */
const BOUND = FILE / 2;

describe('streamed uploads keep the sidecar\'s memory flat', () => {
  let moto: MotoServer;
  let sc: SidecarProcess;
  let unspooled: SidecarProcess;
  const spoolDir = mkdtempSync(join(tmpdir(), 'ia-memory-spool-'));
  const prefix = uniquePrefix('objects-memory');
  const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

  beforeAll(async () => {
    moto = await startMoto();
    sc = await new SidecarProcess(prefix, { UPLOAD_SPOOL_DIR: spoolDir }).start();
    unspooled = await new SidecarProcess(`${prefix}-off`, { UPLOAD_SPOOL_DIR: 'off' }).start();
    expect((await fetch(`${moto.url}/files`, { method: 'PUT' })).status).toBe(200);
    // Each process has its own prefix and key ring: each is given the connection.
    for (const via of [sc, unspooled]) {
      const put = await via.api('PUT', '/v1/connections/files', {
        base_url: `${moto.url}/files`, provider: 'amazon_s3', timeout_ms: 60_000,
        auth: { type: 'aws_sigv4', access_key_id: 'AKIAMEMORYTEST000000', secret_access_key: 'memory-test-secret', region: 'us-east-1', service: 's3' },
      });
      expect(put.status).toBe(200);
    }
  }, 60_000);
  afterAll(async () => {
    await sc?.stop();
    await unspooled?.stop();
    await moto?.stop();
    await dropPrefix(prefix);
    await dropPrefix(`${prefix}-off`);
  });

  /** Sends FILE bytes (a 1 MiB block, repeated) as the socket takes them; resolves to the answer. */
  function upload(sc: SidecarProcess, key: string, declared: boolean): Promise<{ status: number; body: any; sha: string }> {
    const block = Buffer.alloc(MiB);
    for (let i = 0; i < MiB; i += 4) block.writeUInt32LE(i * 2654435761 >>> 0, i);
    const hash = createHash('sha256');
    return new Promise((done, fail) => {
      const req = request(`${sc.url}/v1/connections/files/objects/${key}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', ...(declared ? { 'content-length': String(FILE) } : {}) },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => done({ status: res.statusCode!, body: JSON.parse(text), sha: hash.digest('hex') }));
      });
      req.on('error', fail);
      let sent = 0;
      const more = () => {
        while (sent < FILE) {
          sent += MiB;
          hash.update(block);
          if (!req.write(block)) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    });
  }

  const cases = [
    { label: 'of declared size, kept on disk', declared: true, spooled: true },
    { label: 'of declared size, chunk-signed as it passes (no spool)', declared: true, spooled: false },
    { label: 'sent chunked', declared: false, spooled: true },
  ];
  for (const c of cases) {
    it(`a ${FILE / MiB} MiB upload ${c.label} grows the sidecar's memory by less than half the file`, async () => {
      const via = c.spooled ? sc : unspooled;
      const pid = via.child!.pid!;
      const base = rssOf(pid);
      let peak = base;
      const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
      const key = `${c.declared ? 'declared' : 'chunked'}-${c.spooled ? 'spooled' : 'direct'}.bin`;
      let up;
      try {
        up = await upload(via, key, c.declared);
      } finally {
        clearInterval(timer);
      }
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      expect(up.body).toMatchObject({ size: FILE, parts: c.declared ? 1 : FILE / (8 * MiB) });
      expect(peak - base, `RSS ${Math.round(base / MiB)} → ${Math.round(peak / MiB)} MiB`).toBeLessThan(BOUND);
      expect(readdirSync(spoolDir)).toEqual([]);
      const stored = createHash('sha256');
      const back = await fetch(`${sc.url}/v1/connections/files/objects/${key}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(back.status).toBe(200);
      for await (const c of back.body!) stored.update(c as Uint8Array);
      expect(stored.digest('hex')).toBe(up.sha);
    }, 120_000);
  }
});
