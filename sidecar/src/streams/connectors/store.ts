import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConnectorInput } from './schemas';

/** Reconnects kept per connector for desk. */
export const HISTORY_LEN = 50;

/** Keys under `<prefix>:sc:` (sidecar/README.md "Stream connectors"). */
export class ConnectorKeys {
  readonly base: string;
  constructor(prefix: string) {
    this.base = `${prefix}:sc`;
  }
  /** SET of configured connector ids. */
  get ids() {
    return `${this.base}:ids`;
  }
  /** HASH cfg (JSON), ver, created_at, updated_at. */
  config(id: string) {
    return `${this.base}:cfg:${id}`;
  }
  /** STRING: the process holding the connection (PX lease). */
  lease(id: string) {
    return `${this.base}:lease:${id}`;
  }
  /** HASH: state, holder, counters, resume point (see {@link ConnectorStatus}). */
  status(id: string) {
    return `${this.base}:status:${id}`;
  }
  /** LIST (newest first, capped): reconnects `{at, reason, attempt, holder}`. */
  history(id: string) {
    return `${this.base}:hist:${id}`;
  }
}

export interface StoredConnector {
  config: ConnectorInput;
  ver: string;
  created_at: string;
  updated_at: string;
}

export type ConnectorState = 'connecting' | 'connected' | 'backoff' | 'disabled' | 'stopped';

export interface ConnectorStatus {
  state: ConnectorState | 'idle';
  holder: string | null;
  state_since: string | null;
  connected_at: string | null;
  /** What the next connect resumes after (SSE Last-Event-ID, or the WebSocket resume parameter). */
  resume_id: string | null;
  last_event_id: string | null;
  last_event_at: string | null;
  forwarded: number;
  duplicates: number;
  skipped: number;
  attempt: number;
  last_error: string | null;
  last_error_at: string | null;
}

export interface Reconnect {
  at: string;
  reason: string;
  attempt: number;
  holder: string;
}

const num = (v: string | undefined) => Number(v ?? 0);

export class ConnectorStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: ConnectorKeys,
    private readonly replicated: () => Promise<void>,
  ) {}

  async put(id: string, config: ConnectorInput): Promise<StoredConnector> {
    const now = new Date().toISOString();
    await this.redis
      .multi()
      .hset(this.keys.config(id), { cfg: JSON.stringify(config), ver: randomUUID(), updated_at: now })
      .hsetnx(this.keys.config(id), 'created_at', now)
      .sadd(this.keys.ids, id)
      .exec();
    await this.replicated();
    return (await this.get(id))!;
  }

  async get(id: string): Promise<StoredConnector | null> {
    const h = await this.redis.hgetall(this.keys.config(id));
    if (!h.cfg || !h.ver) return null;
    return { config: JSON.parse(h.cfg) as ConnectorInput, ver: h.ver, created_at: h.created_at ?? h.updated_at!, updated_at: h.updated_at! };
  }

  async ids(): Promise<string[]> {
    return this.redis.smembers(this.keys.ids);
  }

  /** Deletes the config, status and history; a holder notices at its next tick and lets go. */
  async delete(id: string): Promise<boolean> {
    const res = await this.redis.multi().del(this.keys.config(id)).srem(this.keys.ids, id).del(this.keys.status(id), this.keys.history(id)).exec();
    await this.replicated();
    return res?.[0]?.[1] === 1;
  }

  async status(id: string): Promise<ConnectorStatus> {
    const h = await this.redis.hgetall(this.keys.status(id));
    return {
      state: (h.state as ConnectorStatus['state']) ?? 'idle',
      holder: h.holder ?? null,
      state_since: h.state_since ?? null,
      connected_at: h.connected_at ?? null,
      resume_id: h.resume_id ?? null,
      last_event_id: h.last_event_id ?? null,
      last_event_at: h.last_event_at ?? null,
      forwarded: num(h.forwarded),
      duplicates: num(h.duplicates),
      skipped: num(h.skipped),
      attempt: num(h.attempt),
      last_error: h.last_error ?? null,
      last_error_at: h.last_error_at ?? null,
    };
  }

  async history(id: string, n = HISTORY_LEN): Promise<Reconnect[]> {
    return (await this.redis.lrange(this.keys.history(id), 0, n - 1)).map((s) => JSON.parse(s) as Reconnect);
  }

  async setState(id: string, holder: string, state: ConnectorState, extra: Record<string, string | number> = {}): Promise<void> {
    await this.redis.hset(this.keys.status(id), { state, holder, state_since: new Date().toISOString(), ...extra });
  }

  /** A dropped or failed connection: the status says why, and the history keeps it. */
  async reconnecting(id: string, r: Reconnect): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.status(id), { state: 'backoff', holder: r.holder, state_since: r.at, attempt: r.attempt, last_error: r.reason, last_error_at: r.at })
      .lpush(this.keys.history(id), JSON.stringify(r))
      .ltrim(this.keys.history(id), 0, HISTORY_LEN - 1)
      .exec();
  }

  /** After an event was stored (or found a duplicate): counters and the resume point move on. */
  async advanced(id: string, outcome: 'forwarded' | 'duplicates', eventId: string, resumeId: string): Promise<void> {
    await this.redis
      .multi()
      .hincrby(this.keys.status(id), outcome, 1)
      .hset(this.keys.status(id), { last_event_id: eventId, resume_id: resumeId, last_event_at: new Date().toISOString() })
      .exec();
  }

  /** An event that could not be forwarded (no id, not JSON): counted, and the resume point passes it. */
  async skipped(id: string, reason: string, resumeId: string | null): Promise<void> {
    await this.redis
      .multi()
      .hincrby(this.keys.status(id), 'skipped', 1)
      .hset(this.keys.status(id), { last_error: reason, last_error_at: new Date().toISOString(), ...(resumeId ? { resume_id: resumeId } : {}) })
      .exec();
  }

  async resumeId(id: string): Promise<string | null> {
    return this.redis.hget(this.keys.status(id), 'resume_id');
  }
}
