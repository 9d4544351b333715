/**
 * Every Redis key the delivery engine owns, under `<prefix>:dl:`. Lua scripts receive these
 * as KEYS, so the layout lives in one place (documented in sidecar/README.md).
 */
export class DeliveryKeys {
  readonly base: string;
  constructor(prefix: string) {
    this.base = `${prefix}:dl`;
  }
  /** Hash: config JSON (`cfg`, with secrets), `enabled`, `ordered`, stats fields. */
  endpoint(id: string) {
    return `${this.base}:ep:${id}`;
  }
  /** Hash per message: endpoint, type, body bytes, status, attempt count, generation… */
  message(id: string) {
    return `${this.base}:msg:${id}`;
  }
  /** Hash per message appended to a stream: `st` (succeeded), `stream`, `type`, `acc` — for lookups. */
  streamMessage(id: string) {
    return `${this.base}:smsg:${id}`;
  }
  /** List of attempt records (JSON), oldest first. */
  attempts(id: string) {
    return `${this.base}:att:${id}`;
  }
  /** Zset of an endpoint's messages by accept time (listing, recover). */
  endpointMessages(ep: string) {
    return `${this.base}:epmsgs:${ep}`;
  }
  /** Zset of leases (member = message id, score = lease expiry ms): max in flight. */
  inflight(ep: string) {
    return `${this.base}:inflight:${ep}`;
  }
  /** Zset of messages waiting for an in-flight slot (score = wake time), sizes the back-off. */
  waiters(ep: string) {
    return `${this.base}:waiters:${ep}`;
  }
  /** String: GCRA theoretical arrival time (ms) of the endpoint's rate limit. */
  rate(ep: string) {
    return `${this.base}:rate:${ep}`;
  }
  /** Hash message id → reserved rate slot (ms). */
  reservations(ep: string) {
    return `${this.base}:rsv:${ep}`;
  }
  /** Zset of unfinished messages of an ordered endpoint by accept sequence. */
  order(ep: string) {
    return `${this.base}:ord:${ep}`;
  }
  /** Set of messages parked behind the head of an ordered endpoint (no job until promoted). */
  parked(ep: string) {
    return `${this.base}:parked:${ep}`;
  }
  /** Set of messages held while the endpoint is paused (no job until resumed). */
  held(ep: string) {
    return `${this.base}:held:${ep}`;
  }
  /** Counter for the ordered endpoints' accept sequence. */
  get sequence() {
    return `${this.base}:seq`;
  }
  /** Stream of outcomes and endpoint-disabled notices waiting to be reported to Frappe. */
  get reports() {
    return `${this.base}:reports`;
  }
  /** Every key of one endpoint except its messages (for DELETE). */
  endpointKeys(ep: string): string[] {
    return [this.endpoint(ep), this.inflight(ep), this.waiters(ep), this.rate(ep), this.reservations(ep), this.order(ep), this.parked(ep), this.held(ep)];
  }
}

/** The BullMQ queue every sidecar process shares (its keys live under `<prefix>:`). */
export const QUEUE_NAME = 'delivery';

/** One job per message generation; `~` because BullMQ ids must not contain `:` nor be integers. */
export const jobId = (messageId: string, gen: number) => `${messageId}~${gen}`;

/** A batch job's id: its first message and generation (deterministic, so a re-POST does not queue it twice). */
export const batchJobId = (first: string, gen: number) => `b~${first}~${gen}`;

/** Messages a batch job carries at most (first attempts to one plain endpoint). */
export const BATCH_SIZE = 100;

/** Batch job data: first attempts of up to {@link BATCH_SIZE} messages to one plain endpoint. */
export interface BatchJob {
  /** Endpoint id. */
  e: string;
  /** [message id, generation] pairs. */
  b: Array<[string, number]>;
}

export type AnyDeliveryJob = DeliveryJob | BatchJob;
export const isBatch = (j: AnyDeliveryJob): j is BatchJob => 'b' in j;

/** Job data: ids only, never secrets or payloads. */
export interface DeliveryJob {
  /** Message id. */
  m: string;
  /** Endpoint id. */
  e: string;
  /** Generation: a replay or re-queue bumps it so an older job for the same message is stale. */
  g: number;
}
