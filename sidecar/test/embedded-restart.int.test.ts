import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Receiver } from './redis/frappe';
import { exited, killAll, SidecarChild, tempDir } from './redis/processes';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The embedded redis-server's pid as the sidecar recorded it (0 while there is none). */
const redisPid = (dataDir: string) => {
  const f = join(dataDir, 'redis', 'redis.pid');
  return existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0;
};

/** Kills the current redis-server and waits for the sidecar to have started the next one. */
async function killRedis(dataDir: string): Promise<number> {
  const pid = redisPid(dataDir);
  process.kill(pid, 'SIGKILL');
  await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
  return pid;
}

describe('embedded redis-server dying under the sidecar (REDIS_URL unset)', () => {
  afterEach(killAll);

  it('is started again on the same data: what it had acknowledged is still there and the sidecar carries on', { timeout: 60_000 }, async () => {
    const rx = await new Receiver().start();
    const dataDir = tempDir('embedded-restart');
    const sc = await new SidecarChild({ DATA_DIR: dataDir }).start();
    try {
      // Paused: the message is stored and held, so only the AOF can bring it back after the crash.
      expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none', enabled: false })).status).toBe(200);
      expect((await sc.api('POST', '/v1/messages', { messages: [{ id: 'held-1', endpoint_id: 'rx', event_type: 't', payload: {} }] })).status).toBe(202);

      const killed = await killRedis(dataDir);
      await expect.poll(() => redisPid(dataDir), { timeout: 15_000 }).not.toBe(killed);
      expect(alive(redisPid(dataDir))).toBe(true);
      await expect.poll(async () => (await fetch(`${sc.url}/healthz`)).status, { timeout: 15_000, interval: 200 }).toBe(200);

      expect((await sc.api('PUT', '/v1/endpoints/rx', { url: rx.url, signing: 'none', enabled: true })).status).toBe(200);
      await expect.poll(() => rx.ids.has('held-1'), { timeout: 15_000 }).toBe(true);

      const msgs = sc.logs().map((l) => l.msg);
      expect(msgs.filter((m) => m === 'embedded redis-server exited; starting it again')).toHaveLength(1);
      // "reachable again" is logged by the connection's own ready event, which may trail the health check.
      await expect.poll(() => sc.logs().map((l) => l.msg).filter((m) => /^redis (unreachable|reachable again)$/.test(m)), { timeout: 10_000 }).toEqual(['redis unreachable', 'redis reachable again']);
      expect(sc.stderr).toBe('');
    } finally {
      await sc.stop();
      await rx.close();
    }
    expect(sc.child!.exitCode).toBe(0);
  });

  it('gives up when it keeps dying: exits 1 for the supervisor, leaving no redis-server behind', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('embedded-crashloop');
    const sc = await new SidecarChild({ DATA_DIR: dataDir }).start();
    // Three restarts a minute are allowed; the fourth death within the minute ends the sidecar.
    for (let i = 0; i < 3; i++) {
      const killed = await killRedis(dataDir);
      await expect.poll(() => redisPid(dataDir), { timeout: 15_000 }).not.toBe(killed);
      expect(sc.child!.exitCode).toBeNull();
    }
    const last = await killRedis(dataDir);
    const outcome = await Promise.race([exited(sc.child!), new Promise((ok) => setTimeout(() => ok('still running after 20 s'), 20_000))]);
    expect(outcome).toEqual({ code: 1, signal: null });
    expect(alive(last)).toBe(false);
    expect(redisPid(dataDir)).toBe(0);
    expect(sc.logs().find((l) => l.level === 60)?.msg).toBe('embedded redis-server keeps failing; exiting so the supervisor restarts the sidecar');
  });
});
