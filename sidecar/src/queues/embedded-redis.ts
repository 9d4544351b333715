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

/** A redis-server that dies is started again at most this often per window; past that the sidecar gives up. */
const RESTARTS_PER_WINDOW = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * Spawns a private redis-server for the embedded default (REDIS_URL unset). Data is kept in
 * DATA_DIR/redis with an append-only file, so accepted work survives a sidecar restart.
 *
 * If that redis-server dies, it is started again on the same port and directory: Redis
 * appends every write to the AOF before it replies, so a crashed server's restart replays
 * everything it had acknowledged (`appendfsync everysec` only matters if the machine itself
 * goes down). The sidecar's connections reconnect on their own. A server that dies more than
 * {@link RESTARTS_PER_WINDOW} times a minute (bad disk, memory, a port taken) is not restarted
 * again: `onGiveUp` is called and the sidecar exits non-zero for its supervisor.
 */
export async function startEmbeddedRedis(dataDir: string, log: Logger, onGiveUp: (err: EmbeddedRedisError) => void): Promise<EmbeddedRedis> {
  if (spawnSync('redis-server', ['--version']).error) throw new EmbeddedRedisError(INSTALL_HINT);
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  stopStale(pidFile, log);
  const port = await freePort();
  let child = await spawnServer(port, dir, pidFile);
  log.info({ port, dir }, 'embedded redis-server started');

  let stopping = false;
  const exits: number[] = [];
  const supervise = (c: Running) => {
    c.child.once('exit', (code, signal) => void restart(code, signal, c.stderr()));
  };
  const restart = async (code: number | null, signal: NodeJS.Signals | null, stderr: string) => {
    if (stopping) return;
    const now = Date.now();
    exits.push(now);
    while (exits.length && exits[0]! < now - RESTART_WINDOW_MS) exits.shift();
    const detail = { code, signal, stderr: stderr.trim().split('\n').slice(-3).join('\n') || undefined };
    if (exits.length > RESTARTS_PER_WINDOW) {
      rmSync(pidFile, { force: true });
      return onGiveUp(new EmbeddedRedisError(`redis-server exited ${exits.length} times within a minute (last: ${signal ?? `code ${code}`})`));
    }
    log.warn(detail, 'embedded redis-server exited; starting it again');
    try {
      child = await spawnServer(port, dir, pidFile);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'embedded redis-server did not start again');
      return void restart(null, null, (err as Error).message);
    }
    if (stopping) return void child.child.kill('SIGTERM');
    log.info({ port, pid: child.child.pid }, 'embedded redis-server started again');
    supervise(child);
  };
  supervise(child);

  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((ok) => {
        stopping = true;
        const c = child.child;
        if (c.exitCode !== null || c.signalCode !== null) return ok();
        c.once('exit', () => {
          rmSync(pidFile, { force: true });
          ok();
        });
        c.kill('SIGTERM');
      }),
  };
}

interface Running {
  child: ChildProcess;
  stderr(): string;
}

/** Starts redis-server and resolves once it answers PING. */
async function spawnServer(port: number, dir: string, pidFile: string): Promise<Running> {
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
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {}); // refused connects while redis boots are expected
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new EmbeddedRedisError(`redis-server exited: ${stderr.trim()}`);
      try {
        await probe.connect();
        await probe.ping();
        // AOF replay can still be running after the first PING is answered with LOADING.
        break;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new EmbeddedRedisError(`redis-server did not start: ${stderr.trim()}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    probe.disconnect();
  }
  return { child, stderr: () => stderr };
}
