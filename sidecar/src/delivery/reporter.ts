import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { FrappeClient } from '../frappe/client';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { isNoGroup, isRedisUnavailable } from '../queues/redis-errors';

export interface ReporterOptions {
  /** Outcomes per `report_deliveries` call. @defaultValue 500 */
  batchSize?: number;
  /** Pause between polls when the stream had less than a batch. @defaultValue 250 */
  intervalMs?: number;
  /** Longest back-off while Frappe is failing. @defaultValue 30000 */
  maxBackoffMs?: number;
  /** Entries another (dead) process read but never acknowledged are taken over after this. @defaultValue 60000 */
  claimIdleMs?: number;
}

const GROUP = 'frappe';
const REPORT_METHOD = 'integrations_app.api.sidecar.report_deliveries';
const DISABLED_METHOD = 'integrations_app.api.sidecar.endpoint_disabled';
const ACK_METHOD = 'integrations_app.api.sidecar.acknowledge_messages';
const CALL_FAILURES_METHOD = 'integrations_app.api.sidecar.report_connection_failures';

type StreamEntry = [id: string, fields: string[] | null];

/**
 * Drains the reports stream into Frappe in batches: outcomes (`o`, written by the finish script
 * in the same step that records them), endpoint-disabled notices (`d`), acknowledgements of
 * handed-over outbox rows (`a`, written by the outbox consumer) and failed connection calls
 * (`c`, a list each, written by the connections' CallRecorder), each kind in one call. A Redis consumer group shares the stream between sidecar
 * processes; an entry is deleted only after Frappe took it, and one read by a process that
 * died is claimed by another, so nothing is lost. Frappe tolerates repeats (docs/api.md).
 */
export class Reporter {
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly claimIdleMs: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastClaim = 0;

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly frappe: FrappeClient,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    opts: ReporterOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 500;
    this.intervalMs = opts.intervalMs ?? 250;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.claimIdleMs = opts.claimIdleMs ?? 60_000;
  }

  async start(): Promise<void> {
    await this.ensureGroup();
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling, then sends what is left for up to `flushMs` (the rest stays in Redis). */
  async stop(flushMs = 5000): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    const until = Date.now() + flushMs;
    while (Date.now() < until) {
      const sent = await this.tick().catch(() => -1);
      if (sent <= 0) break;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let pause = this.intervalMs;
      try {
        const sent = await this.tick();
        failures = 0;
        if (sent >= this.batchSize) pause = 0;
      } catch (err) {
        // The stream or its group is gone (Redis flushed or restarted without persistence):
        // recreate both and go on, or every later read fails the same way.
        if (isNoGroup(err)) {
          const recreated = await this.ensureGroup().then(() => true, () => false);
          if (recreated) {
            this.log.warn({ stream: this.stream }, 'the reports stream\'s consumer group was missing (Redis lost its data?); recreated it');
            continue;
          }
        }
        failures++;
        pause = Math.min(this.maxBackoffMs, this.intervalMs * 2 ** failures);
        // A Redis outage is logged once by the connection group, not on every retry.
        const level = isRedisUnavailable(err) ? 'debug' : 'warn';
        this.log[level]({ err: (err as Error).message, retry_in_ms: pause }, 'reporting deliveries to Frappe failed; will retry');
      }
      if (pause > 0 && this.running) await new Promise<void>((ok) => {
        const t = setTimeout(ok, pause);
        this.wake = () => (clearTimeout(t), ok());
      });
    }
  }

  private async ensureGroup(): Promise<void> {
    await this.redis.xgroup('CREATE', this.stream, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }

  /** One batch: this process's unacknowledged entries first, then new ones. Returns entries sent. */
  private async tick(): Promise<number> {
    if (Date.now() - this.lastClaim > this.claimIdleMs / 4) {
      this.lastClaim = Date.now();
      await this.redis.xautoclaim(this.stream, GROUP, this.consumer, this.claimIdleMs, '0', 'COUNT', this.batchSize, 'JUSTID');
    }
    let entries = await this.read('0');
    if (entries.length === 0) entries = await this.read('>');
    if (entries.length === 0) return 0;
    const outcomes: unknown[] = [];
    const disabled: unknown[] = [];
    const callFailures: unknown[] = [];
    const acks: { accepted: string[]; rejected: unknown[] } = { accepted: [], rejected: [] };
    for (const [, fields] of entries) {
      if (!fields) continue; // deleted after being read: already reported
      if (fields[0] === 'o') outcomes.push(JSON.parse(fields[1]!));
      else if (fields[0] === 'd') disabled.push(JSON.parse(fields[1]!));
      else if (fields[0] === 'c') callFailures.push(...(JSON.parse(fields[1]!) as unknown[]));
      else if (fields[0] === 'a') {
        const ack = JSON.parse(fields[1]!) as typeof acks;
        acks.accepted.push(...ack.accepted);
        acks.rejected.push(...ack.rejected);
      }
    }
    // An outcome acknowledges its message too (report_deliveries sets `acked`): with deliveries
    // usually done within the same batch, the separate call is left for the rest.
    const reported = new Set(outcomes.map((o) => (o as { message_id: string }).message_id));
    acks.accepted = acks.accepted.filter((id) => !reported.has(id));
    try {
      if (acks.accepted.length || acks.rejected.length) await this.frappe.call(ACK_METHOD, acks);
      if (outcomes.length) await this.frappe.call(REPORT_METHOD, { outcomes });
      for (const notice of disabled) await this.frappe.call(DISABLED_METHOD, notice);
      if (callFailures.length) await this.frappe.call(CALL_FAILURES_METHOD, { failures: callFailures });
    } catch (err) {
      this.metrics.forwarded.inc({ kind: 'delivery_outcome', result: 'error' }, outcomes.length);
      throw err;
    }
    this.metrics.forwarded.inc({ kind: 'delivery_outcome', result: 'ok' }, outcomes.length);
    const ids = entries.map(([id]) => id);
    await this.redis.multi().xack(this.stream, GROUP, ...ids).xdel(this.stream, ...ids).exec();
    return entries.length;
  }

  private async read(from: '0' | '>'): Promise<StreamEntry[]> {
    const res = (await this.redis.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', this.batchSize, 'STREAMS', this.stream, from)) as
      | Array<[string, StreamEntry[]]>
      | null;
    return res?.[0]?.[1] ?? [];
  }
}
