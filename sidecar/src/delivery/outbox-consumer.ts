import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { isNoGroup } from '../queues/redis-errors';
import type { MessageService } from './messages';
import { MAX_MESSAGES_PER_CALL, MessageInput } from './schemas';

/** Where Frappe's after-commit hand-off writes (docs/api.md "Outbox hand-off"). */
export const outboxStream = (site: string) => `integrations_app:${site}:outbox`;
export const OUTBOX_GROUP = 'sidecar';

/** One stream entry: the rows one Frappe commit wrote, as `POST /v1/messages` would carry them. */
const OutboxEntry = z.array(MessageInput).min(1).max(MAX_MESSAGES_PER_CALL);

export interface OutboxConsumerOptions {
  /** Stream entries (commits) taken per read. @defaultValue 50 */
  batchEntries?: number;
  /** How long one read waits for new entries. @defaultValue 1000 */
  blockMs?: number;
  /** Longest back-off while Redis or accept is failing. @defaultValue 30000 */
  maxBackoffMs?: number;
  /** Entries a dead process read but never acknowledged are taken over after this. @defaultValue 30000 */
  claimIdleMs?: number;
}

type StreamEntry = [id: string, fields: string[] | null];

/**
 * Takes the outbox rows Frappe hands over on its own `redis_queue` after each commit and
 * accepts them through the same idempotent path as `POST /v1/messages`, then queues one
 * acknowledgement (`a` entry) on the reports stream, which the Reporter sends to Frappe in
 * batches. An entry is deleted from Frappe's stream only after that, so a crash in between
 * re-reads it (at least once; accept dedups on the message id, so a repeat is a duplicate,
 * acknowledged again). Entries that cannot be parsed are dropped with a warning: their rows
 * stay unacknowledged in Frappe, whose minutely re-push sends them over HTTP.
 */
export class OutboxConsumer {
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly batchEntries: number;
  private readonly blockMs: number;
  private readonly maxBackoffMs: number;
  private readonly claimIdleMs: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private lastClaim = 0;

  constructor(
    /** A connection of its own to Frappe's `redis_queue`: the reads block. */
    private readonly frappeRedis: Redis,
    private readonly stream: string,
    private readonly messages: MessageService,
    /** The sidecar's Redis and its reports stream, where acknowledgements wait for the Reporter. */
    private readonly redis: Redis,
    private readonly reports: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    opts: OutboxConsumerOptions = {},
  ) {
    this.batchEntries = opts.batchEntries ?? 50;
    this.blockMs = opts.blockMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.claimIdleMs = opts.claimIdleMs ?? 30_000;
  }

  async start(): Promise<void> {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the read in progress (≤ blockMs); what it took is finished first. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let grouped = false;
    while (this.running) {
      try {
        if (!grouped) grouped = await this.createGroup();
        await this.tick();
        failures = 0;
      } catch (err) {
        // Frappe's Redis lost the stream and its group (flushed, restarted): create them again.
        if (isNoGroup(err)) grouped = false;
        failures++;
        const pause = Math.min(this.maxBackoffMs, 100 * 2 ** failures);
        this.log.warn({ err: (err as Error).message, retry_in_ms: pause }, 'outbox hand-off: reading Frappe\'s stream failed; will retry');
        if (this.running) await new Promise((ok) => setTimeout(ok, pause));
      }
    }
  }

  private async createGroup(): Promise<boolean> {
    // From the start of the stream: rows Frappe handed over before the first start are taken too.
    await this.frappeRedis.xgroup('CREATE', this.stream, OUTBOX_GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
    return true;
  }

  /** Own unacknowledged entries first (a failed accept), then claimed ones, then new ones. */
  private async tick(): Promise<void> {
    if (Date.now() - this.lastClaim > this.claimIdleMs / 4) {
      this.lastClaim = Date.now();
      await this.frappeRedis.xautoclaim(this.stream, OUTBOX_GROUP, this.consumer, this.claimIdleMs, '0', 'COUNT', this.batchEntries, 'JUSTID');
    }
    let entries = await this.read('0');
    if (entries.length === 0) entries = await this.read('>');
    if (entries.length > 0) await this.handle(entries);
  }

  private async handle(entries: StreamEntry[]): Promise<void> {
    const batch: MessageInput[] = [];
    for (const [id, fields] of entries) {
      if (!fields) continue; // deleted after being read: already handled
      const parsed = OutboxEntry.safeParse(parseJson(fields[0] === 'm' ? fields[1] : undefined));
      if (!parsed.success) {
        this.log.warn({ entry: id, stream: this.stream }, 'outbox hand-off: dropped an entry that is not a list of messages; Frappe re-pushes its rows');
        continue;
      }
      batch.push(...parsed.data);
    }
    const accepted: string[] = [];
    const rejected: unknown[] = [];
    for (let i = 0; i < batch.length; i += MAX_MESSAGES_PER_CALL) {
      const out = await this.messages.accept(batch.slice(i, i + MAX_MESSAGES_PER_CALL));
      accepted.push(...out.accepted, ...out.duplicates);
      rejected.push(...out.rejected);
    }
    if (accepted.length || rejected.length) {
      await this.redis.xadd(this.reports, '*', 'a', JSON.stringify({ accepted, rejected }));
    }
    this.metrics.forwarded.inc({ kind: 'outbox_handoff', result: 'accepted' }, accepted.length);
    const ids = entries.map(([id]) => id);
    await this.frappeRedis.multi().xack(this.stream, OUTBOX_GROUP, ...ids).xdel(this.stream, ...ids).exec();
  }

  private async read(from: '0' | '>'): Promise<StreamEntry[]> {
    const args: Array<string | number> = ['GROUP', OUTBOX_GROUP, this.consumer, 'COUNT', this.batchEntries];
    if (from === '>') args.push('BLOCK', this.blockMs);
    const res = (await (this.frappeRedis.xreadgroup as (...a: Array<string | number>) => Promise<unknown>)(
      ...args, 'STREAMS', this.stream, from,
    )) as Array<[string, StreamEntry[]]> | null;
    return res?.[0]?.[1] ?? [];
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
