import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeletedCursor, LocalCursor } from './stores/frappe-local';
import type { Profile } from './schemas';

/** What the sidecar keeps in Redis per profile: its config, cursors, runs and their checkpoints. */

export interface Cursors {
  local_cursor: LocalCursor | null;
  /** ISO UTC: the newest remote update read by a finished pull. */
  remote_cursor: string | null;
  deleted_cursor: DeletedCursor | null;
}

export const EMPTY_CURSORS: Cursors = { local_cursor: null, remote_cursor: null, deleted_cursor: null };

export type RunKind = 'incremental' | 'full' | 'retry_failed' | 'changes' | 'record';
export type Phase = 'pull' | 'push' | 'local_deletes' | 'remote_deletes' | 'retry' | 'done';

export interface Stats {
  seen: number;
  created: number;
  /** Records paired by the profile's `match_on` key instead of created (first sync of both sides). */
  linked: number;
  updated: number;
  deleted: number;
  skipped: number;
  failed: number;
  conflicts: number;
}

export const emptyStats = (): Stats => ({ seen: 0, created: 0, linked: 0, updated: 0, deleted: 0, skipped: 0, failed: 0, conflicts: 0 });

/** Where an interrupted run resumes: saved after every page. */
export interface Checkpoint {
  phases: Phase[];
  /** Remote list: since (ms, the run's start point), next page token, newest update read. */
  since_ms: number | null;
  token: unknown;
  max_ms: number | null;
  /** Local changes: the last (modified, name) read; `lookback_used` once the first page went. */
  local: LocalCursor | null;
  lookback_used: boolean;
  deleted: DeletedCursor | null;
  /** Sync Log walk (retry_failed, absence rule): the last row name read. */
  logs_after: string | null;
}

export interface Run {
  run_id: string;
  profile_id: string;
  kind: RunKind;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  phase: Phase;
  started_at: string;
  finished_at: string | null;
  stats: Stats;
  total: number | null;
  error: string | null;
  checkpoint: Checkpoint;
}

const RUN_TTL_S = 30 * 86400;

export class SyncState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private k(...parts: string[]) {
    return `${this.prefix}:sync:${parts.join(':')}`;
  }

  async putProfile(id: string, p: Profile): Promise<void> {
    await this.redis.set(this.k('profile', id), JSON.stringify(p));
  }

  async getProfile(id: string): Promise<Profile | null> {
    const raw = await this.redis.get(this.k('profile', id));
    return raw ? (JSON.parse(raw) as Profile) : null;
  }

  async deleteProfile(id: string): Promise<boolean> {
    return (await this.redis.del(this.k('profile', id), this.k('cursors', id))) > 0;
  }

  async cursors(id: string): Promise<Cursors | null> {
    const raw = await this.redis.get(this.k('cursors', id));
    return raw ? (JSON.parse(raw) as Cursors) : null;
  }

  async setCursors(id: string, c: Cursors): Promise<void> {
    await this.redis.set(this.k('cursors', id), JSON.stringify(c));
  }

  async saveRun(run: Run): Promise<void> {
    await this.redis.set(this.k('run', run.profile_id, run.run_id), JSON.stringify(run), 'EX', RUN_TTL_S);
  }

  async getRun(profileId: string, runId: string): Promise<Run | null> {
    const raw = await this.redis.get(this.k('run', profileId, runId));
    return raw ? (JSON.parse(raw) as Run) : null;
  }

  /** Claims the profile's one active run slot for `runId`; returns the holder if another has it. */
  async claimActive(profileId: string, runId: string): Promise<string | null> {
    const ok = await this.redis.set(this.k('active', profileId), runId, 'NX');
    return ok ? null : await this.redis.get(this.k('active', profileId));
  }

  async activeRun(profileId: string): Promise<string | null> {
    return this.redis.get(this.k('active', profileId));
  }

  async releaseActive(profileId: string, runId: string): Promise<void> {
    await this.redis.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`, 1, this.k('active', profileId), runId);
  }

  /** External ids a full run has read (the absence rule compares the Sync Log against them). */
  async addSeen(profileId: string, runId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const key = this.k('seen', profileId, runId);
    await this.redis.multi().sadd(key, ...ids).expire(key, RUN_TTL_S).exec();
  }

  async seen(profileId: string, runId: string, ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const r = await this.redis.smismember(this.k('seen', profileId, runId), ...ids);
    return r.map((x) => x === 1);
  }

  async dropSeen(profileId: string, runId: string): Promise<void> {
    await this.redis.del(this.k('seen', profileId, runId));
  }

  /**
   * Idempotency keys of creates in flight, written before the create is sent and dropped once
   * its Sync Log row is written: a create a crash interrupted is retried with the same key.
   */
  async intents(profileId: string, side: 'remote' | 'local', names: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (names.length === 0) return out;
    const key = this.k('intent', side, profileId);
    const have = await this.redis.hmget(key, ...names);
    const fresh: string[] = [];
    names.forEach((n, i) => {
      const v = have[i] ?? `sync-${profileId}-${randomBytes(8).toString('hex')}`;
      if (!have[i]) fresh.push(n, v);
      out.set(n, v);
    });
    if (fresh.length) await this.redis.hset(key, ...fresh);
    return out;
  }

  async clearIntents(profileId: string, side: 'remote' | 'local', names: string[]): Promise<void> {
    if (names.length) await this.redis.hdel(this.k('intent', side, profileId), ...names);
  }

  /** The profile's lock: one job at a time works on a profile, across processes. */
  async lock(profileId: string, ttlMs: number): Promise<string | null> {
    const token = randomBytes(8).toString('hex');
    return (await this.redis.set(this.k('lock', profileId), token, 'PX', ttlMs, 'NX')) ? token : null;
  }

  async renew(profileId: string, token: string, ttlMs: number): Promise<boolean> {
    const r = await this.redis.eval(
      `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`, 1, this.k('lock', profileId), token, ttlMs,
    );
    return r === 1;
  }

  async unlock(profileId: string, token: string): Promise<void> {
    await this.redis.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`, 1, this.k('lock', profileId), token);
  }
}
