import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { LuaScript } from '../inbound/lua-script';
import { MESSAGE_RETENTION_S } from '../delivery/messages';
import type { StreamInput, TokenFilter } from './schemas';
import { StreamEvent } from './event';

/** A stream's configuration as stored (token hashes only; tokens are never sent to the sidecar). */
export interface StreamConfig {
  token_hashes: Array<{ hash: string; expires_at: string | null; filter?: TokenFilter | null }>;
  max_len: number;
  max_age_s: number | null;
  cors_origins: string[];
}

/** What a publish carries: `data` already serialised, `dedup` an idempotency key or none. */
export interface NewEvent {
  dedup?: string;
  type: string;
  data: string;
}

/** Where the retention stands: what a resume point is checked against. */
export interface StreamPosition {
  length: number;
  firstId: string | null;
  lastId: string | null;
  /** Entries ever added (Redis 7 `entries-added`): more than `length` means some were trimmed. */
  entriesAdded: number;
  /** The newest id ever generated (the stream's head, even if its entry was trimmed). */
  lastGeneratedId: string;
}

const append = new LuaScript(readFileSync(new URL('./append.lua', import.meta.url), 'utf8'));

/** Keys under `<prefix>:st:` (sidecar/README.md "Streams"). */
export class StreamKeys {
  readonly base: string;
  constructor(prefix: string) {
    this.base = `${prefix}:st`;
  }
  /** Hash: `cfg` (JSON), `maxlen`, `maxage` (read by the append script). */
  config(stream: string) {
    return `${this.base}:cfg:${stream}`;
  }
  /** Redis stream of events: fields `t` (type) and `d` (data JSON); ids are the event ids. */
  events(stream: string) {
    return `${this.base}:ev:${stream}`;
  }
  /** Set of the processes that registered consumers of a stream (members expire with their key). */
  processes(stream: string) {
    return `${this.base}:procs:${stream}`;
  }
  /** String (JSON list, PX TTL): one process's consumers of a stream, rewritten at each heartbeat. */
  consumers(stream: string, process: string) {
    return `${this.base}:cons:${stream}:${process}`;
  }
  /** String per dedup id → the event id it was appended as (expires after the dedup TTL). */
  dedupBase(stream: string) {
    return `${this.base}:dd:${stream}:`;
  }
}

type RawEntry = [id: string, fields: string[]];

export const toEvent = ([id, f]: RawEntry): StreamEvent => {
  let type = '';
  let data = 'null';
  for (let i = 0; i + 1 < f.length; i += 2) {
    if (f[i] === 't') type = f[i + 1]!;
    else if (f[i] === 'd') data = f[i + 1]!;
  }
  return new StreamEvent(id, type, data);
};

/** Stream configurations and histories in Redis. */
export class StreamStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: StreamKeys,
    private readonly replicated: () => Promise<void>,
    /** How long a publish's dedup id is remembered. @defaultValue 7 days, as delivery messages */
    private readonly dedupTtlS = MESSAGE_RETENTION_S,
  ) {}

  async put(stream: string, input: StreamInput): Promise<StreamConfig> {
    const cfg: StreamConfig = { token_hashes: input.token_hashes, max_len: input.max_len, max_age_s: input.max_age_s, cors_origins: input.cors_origins };
    await this.redis
      .multi()
      .del(this.keys.config(stream))
      .hset(this.keys.config(stream), 'cfg', JSON.stringify(cfg), 'maxlen', cfg.max_len, 'maxage', cfg.max_age_s ?? 0)
      .exec();
    await this.replicated();
    return cfg;
  }

  async get(stream: string): Promise<StreamConfig | null> {
    const raw = await this.redis.hget(this.keys.config(stream), 'cfg');
    return raw ? (JSON.parse(raw) as StreamConfig) : null;
  }

  /** Deletes the configuration and the history (dedup ids expire on their own). */
  async delete(stream: string): Promise<boolean> {
    const n = await this.redis.del(this.keys.config(stream), this.keys.events(stream));
    await this.replicated();
    return n > 0;
  }

  /** Appends in order; null when the stream is not configured. */
  async append(stream: string, events: NewEvent[]): Promise<Array<{ id: string; duplicate: boolean }> | null> {
    const args: string[] = [this.keys.dedupBase(stream), String(this.dedupTtlS), String(events.length)];
    for (const e of events) args.push(e.dedup ?? '', e.type, e.data);
    const out = (await append.run(this.redis, [this.keys.config(stream), this.keys.events(stream)], args)) as string[];
    if (out[0] === 'missing') return null;
    await this.replicated();
    return events.map((_, i) => ({ id: out[1 + i * 2]!, duplicate: out[2 + i * 2] === '1' }));
  }

  async position(stream: string, redis: Redis = this.redis): Promise<StreamPosition> {
    let info: unknown[];
    try {
      info = (await redis.xinfo('STREAM', this.keys.events(stream))) as unknown[];
    } catch (err) {
      if (!(err as Error).message.includes('no such key')) throw err;
      return { length: 0, firstId: null, lastId: null, entriesAdded: 0, lastGeneratedId: '0-0' };
    }
    const field = (name: string) => info[info.indexOf(name) + 1];
    const entryId = (e: unknown) => (Array.isArray(e) ? String(e[0]) : null);
    return {
      length: Number(field('length')),
      firstId: entryId(field('first-entry')),
      lastId: entryId(field('last-entry')),
      entriesAdded: Number(field('entries-added')),
      lastGeneratedId: String(field('last-generated-id')),
    };
  }

  /** Registers one process's consumers of a stream (`listJson`, a JSON array) for `ttlMs`; null: none left, the registration goes. */
  async putConsumers(stream: string, process: string, listJson: string | null, ttlMs: number): Promise<void> {
    const key = this.keys.consumers(stream, process);
    if (listJson === null) {
      await this.redis.multi().del(key).srem(this.keys.processes(stream), process).exec();
      return;
    }
    await this.redis.multi().set(key, listJson, 'PX', ttlMs).sadd(this.keys.processes(stream), process).pexpire(this.keys.processes(stream), ttlMs * 4).exec();
  }

  /** The consumers other processes registered (a process whose registration expired is dropped from the set). */
  async otherConsumers(stream: string, except: string): Promise<unknown[]> {
    const procs = (await this.redis.smembers(this.keys.processes(stream))).filter((p) => p !== except);
    if (procs.length === 0) return [];
    const lists = await this.redis.mget(...procs.map((p) => this.keys.consumers(stream, p)));
    const gone = procs.filter((_, i) => lists[i] === null);
    if (gone.length) await this.redis.srem(this.keys.processes(stream), ...gone);
    return lists.flatMap((l) => (l ? (JSON.parse(l) as unknown[]) : []));
  }

  /** Up to `count` events after `afterId` (exclusive), oldest first. */
  async range(stream: string, afterId: string, count: number, redis: Redis = this.redis): Promise<StreamEvent[]> {
    const raw = (await redis.xrange(this.keys.events(stream), `(${afterId}`, '+', 'COUNT', count)) as RawEntry[];
    return raw.map(toEvent);
  }
}
