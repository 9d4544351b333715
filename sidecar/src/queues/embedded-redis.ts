import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';

export class EmbeddedRedisError extends Error {
  override name = 'EmbeddedRedisError';
}

export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`; ' +
  'macOS: `brew install redis`) or set REDIS_URL to an existing Redis.';

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A previous sidecar killed with -9 leaves its redis-server running on our data: stop it first. */
function stopStale(pidFile: string, log: Logger) {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const cmd = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : 'redis-server';
    if (cmd.includes('redis-server')) {
      log.warn({ pid }, 'stopping a stale embedded redis-server left by an earlier run');
      process.kill(pid, 'SIGTERM');
      const until = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < until) spawnSync('sleep', ['0.05']);
    }
  }
  rmSync(pidFile, { force: true });
}

/**
 * Spawns a private redis-server for the embedded default (REDIS_URL unset). Data is kept in
 * DATA_DIR/redis with an append-only file, so accepted work survives a sidecar restart.
 */
export async function startEmbeddedRedis(dataDir: string, log: Logger): Promise<EmbeddedRedis> {
  if (spawnSync('redis-server', ['--version']).error) throw new EmbeddedRedisError(INSTALL_HINT);
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  stopStale(pidFile, log);
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes',
    ],
    // Own process group: a terminal Ctrl-C must reach only the sidecar, which then stops Redis
    // last (after HTTP and workers), as graceful shutdown requires.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  writeFileSync(pidFile, String(child.pid));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {}); // refused connects while redis boots are expected
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new EmbeddedRedisError(`redis-server exited: ${stderr.trim()}`);
    try {
      await probe.connect();
      await probe.ping();
      // AOF replay can still be running after the first PING is answered with LOADING.
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new EmbeddedRedisError(`redis-server did not start: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  log.info({ port, dir }, 'embedded redis-server started');
  return {
    url,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => {
          rmSync(pidFile, { force: true });
          ok();
        });
        child.kill('SIGTERM');
      }),
  };
}
