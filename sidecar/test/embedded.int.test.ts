import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const sidecarDir = join(import.meta.dirname, '..');

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

/** Starts `node --import tsx src/main.ts` as a real process with REDIS_URL unset (embedded default). */
function spawnSidecar(dataDir: string, port = '0'): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: port, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  delete env.REDIS_URL;
  delete env.SIDECAR_TOKEN;
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: sidecarDir, env });
}

function start(dataDir: string): Promise<Running> {
  const child = spawnSidecar(dataDir);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening" line in 30 s:\n${out}`)), 30_000);
    const poll = setInterval(() => {
      const m = /"url":"(http:[^"]+)".*sidecar listening/.exec(out);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        ok({ child, url: m[1]!, stdout: () => out });
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      fail(new Error(`exited ${code}:\n${out}`));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const exited = (child: ChildProcess) =>
  new Promise<number | null>((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.once('exit', ok)));

describe('embedded default (REDIS_URL unset)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

  it('spawns its own redis, serves /healthz, prints the token once and leaves nothing behind on SIGINT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ia-embedded-'));
    const first = await start(dataDir);
    children.push(first.child);
    const health = await (await fetch(`${first.url}/healthz`)).json();
    expect(health).toMatchObject({ ok: true, redis: { ok: true, embedded: true } });

    const token = readFileSync(join(dataDir, 'sidecar-token'), 'utf8').trim();
    expect(first.stdout()).toContain(token);
    const noToken = await fetch(`${first.url}/v1/x`);
    expect(noToken.status).toBe(401);
    const withToken = await fetch(`${first.url}/v1/x`, { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(404);

    const redisPid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    expect(alive(redisPid)).toBe(true);
    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);
    expect(alive(redisPid)).toBe(false);

    // Second start: the stored token is reused and not printed again.
    const second = await start(dataDir);
    children.push(second.child);
    expect(second.stdout()).not.toContain(token);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
  });

  it('replaces a redis-server orphaned by kill -9 of the sidecar', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ia-embedded-'));
    const first = await start(dataDir);
    children.push(first.child);
    const orphan = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(alive(orphan)).toBe(true);

    const second = await start(dataDir);
    children.push(second.child);
    expect(alive(orphan)).toBe(false);
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
  });

  it('fails with a clear message when the port is taken, leaving no redis-server behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ia-embedded-'));
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((ok) => blocker.once('listening', ok));
    const port = String((blocker.address() as AddressInfo).port);
    const child = spawnSidecar(dataDir, port);
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(1);
    blocker.close();
    expect(err).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(err).not.toContain('TypeError');
    const redisPidFile = join(dataDir, 'redis', 'redis.pid');
    expect(existsSync(redisPidFile)).toBe(false);
  });
});
