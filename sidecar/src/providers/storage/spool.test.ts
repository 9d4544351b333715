import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../errors';
import { spool } from './spool';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const read = async (r: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
/** A body as a socket delivers it: 64 KiB at a time. */
const body = (b: Buffer) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += 64 * 1024) yield b.subarray(i, i + 64 * 1024);
})(), { objectMode: false });

describe('spool', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ia-spool-test-'))));
  afterEach(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the bytes with their SHA-256, readable again for each attempt, until removed', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const s = await spool(body(bytes), bytes.length, dir);
    expect(s).toMatchObject({ size: bytes.length, sha256: sha(bytes) });
    expect((await read(s.open())).equals(bytes)).toBe(true);
    expect((await read(s.open())).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(1);
    await s.remove();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a body shorter or longer than declared, and leaves no file', async () => {
    const bytes = randomBytes(200_000);
    await expect(spool(body(bytes), bytes.length + 1, dir)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('ended after 200000 of its declared 200001 bytes') });
    await expect(spool(body(bytes), bytes.length - 1, dir)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('longer than its declared') });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a sender that fails mid-body leaves no file, and its stream is not destroyed by the spool', async () => {
    const sender = new PassThrough();
    const kept = spool(sender, 10 * 1024 * 1024, dir);
    sender.write(randomBytes(1024 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir)).toHaveLength(1);
    sender.destroy(new Error('socket hang up'));
    await expect(kept).rejects.toThrow('socket hang up');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an unwritable spool directory is 503 unavailable, naming the system\'s reason', async () => {
    chmodSync(dir, 0o500);
    // root ignores directory modes: then a directory that does not exist stands in.
    const target = process.getuid?.() === 0 ? join(dir, 'missing') : dir;
    const err = await spool(body(randomBytes(1024)), 1024, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'unavailable', status: 503, message: expect.stringMatching(/UPLOAD_SPOOL_DIR\): E(ACCES|NOENT)/) });
  });
});
