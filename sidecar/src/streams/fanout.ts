import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import { isRedisUnavailable } from '../queues/redis-errors';
import { validToken } from './auth';
import type { StreamEvent } from './event';
import { compareIds, ZERO_ID } from './ids';
import type { StreamGaugeSource, StreamMetrics, Transport } from './metrics';
import { toEvent, type StreamPosition, type StreamStore } from './store';
import type { CloseReason, Subscriber } from './subscriber';

/** Events per XREAD / XRANGE page. */
const PAGE = 500;
/** How long one blocking read waits before looping (and noticing a stop). */
const BLOCK_MS = 5000;
/** A feed with no subscriber left keeps its read loop this long (reconnects are common). */
const LINGER_MS = 5000;
/**
 * Subscribers per slice of the heartbeat's passes: between slices the event loop reads what
 * came in, so an event published during a heartbeat is fanned out within a slice's time
 * (a few ms), not after a pass over every subscriber (tens of ms at thousands).
 */
const SLICE = 500;
const yieldToIo = () => new Promise<void>((ok) => setImmediate(ok));

/** `fn` over `items` in slices of SLICE, letting I/O in between. */
async function inSlices<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i += SLICE) {
    if (i > 0) await yieldToIo();
    for (let k = i; k < Math.min(items.length, i + SLICE); k++) fn(items[k]!);
  }
}

export interface HubDeps {
  store: StreamStore;
  /** Opens the blocking connection of one feed. */
  open: (stream: string) => Redis;
  log: Logger;
  heartbeatMs: number;
  /** Bytes a subscriber may have waiting (STREAM_CLIENT_BUFFER_BYTES). */
  bound: number;
}

/**
 * Whether resuming after `id` would skip events. Redis does not record the ids that trimming
 * removed, only how many entries were ever added: when some are gone and `id` is older than the
 * oldest kept, the events between may be among them. An id newer than any issued is not this
 * stream's (a deleted and re-created stream, or a client's mistake): also a reset.
 */
export function isGap(id: string, pos: StreamPosition): boolean {
  if (compareIds(id, pos.lastGeneratedId) > 0) return true;
  if (pos.entriesAdded <= pos.length) return false;
  return pos.firstId === null ? compareIds(id, pos.lastGeneratedId) < 0 : compareIds(id, pos.firstId) < 0;
}

/**
 * One stream's fan-out in this process: a single XREAD BLOCK loop on a connection of its own,
 * whatever the number of subscribers, each event framed once and written to every live
 * subscriber. Several processes each run their own loop on the same Redis stream, so they
 * serve the same history.
 *
 * A subscriber joins by catching up on history (XRANGE pages after its resume point) while
 * the loop skips it; it turns live only when a page comes back empty and its cursor has reached
 * what the loop has read (`head`) — both checked in one turn of the event loop, so no event
 * falls between the two and the cursor comparison drops any the loop sends twice.
 */
class StreamFeed {
  readonly subs = new Set<Subscriber>();
  head = ZERO_ID;
  private conn: Redis | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  readonly ready: Promise<void>;
  lingerTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly stream: string,
    private readonly deps: HubDeps & { metrics: () => StreamMetrics },
  ) {
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    this.conn = this.deps.open(this.stream);
    this.head = (await this.deps.store.position(this.stream, this.conn)).lastGeneratedId;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const key = this.deps.store.keys.events(this.stream);
    let failures = 0;
    while (this.running) {
      try {
        const res = (await this.conn!.xread('COUNT', PAGE, 'BLOCK', BLOCK_MS, 'STREAMS', key, this.head)) as Array<[string, Array<[string, string[]]>]> | null;
        failures = 0;
        const raw = res?.[0]?.[1];
        if (!raw?.length) continue;
        const events = raw.map(toEvent);
        const after = this.head;
        this.head = events[events.length - 1]!.id;
        this.dispatch(events, after);
      } catch (err) {
        if (!this.running) break;
        failures++;
        const level = isRedisUnavailable(err) ? 'debug' : 'warn';
        this.deps.log[level]({ stream: this.stream, err: (err as Error).message }, 'stream fan-out: read failed; retrying');
        await new Promise((ok) => setTimeout(ok, Math.min(5000, 100 * 2 ** failures)));
      }
    }
  }

  private dispatch(events: StreamEvent[], after: string): void {
    const sent: Record<Transport, number> = { sse: 0, ws: 0 };
    for (const s of this.subs) {
      if (!s.live) continue;
      s.write(events, undefined, after);
      sent[s.transport] += s.sentByLastWrite;
    }
    const m = this.deps.metrics();
    for (const t of ['sse', 'ws'] as const) if (sent[t]) m.sent.inc({ stream: this.stream, transport: t }, sent[t]);
  }

  /**
   * Starts a subscriber after `resumeFrom` (exclusive). A resume point the retention has
   * trimmed past (or one the stream never issued) gets a reset first, then everything still
   * kept: never a silent gap.
   */
  async attach(sub: Subscriber, resumeFrom: string): Promise<void> {
    const { store } = this.deps;
    this.subs.add(sub);
    sub.onClose((reason) => this.detach(sub, reason));
    const pos = await store.position(this.stream);
    if (isGap(resumeFrom, pos)) {
      sub.reset(resumeFrom, pos.firstId);
      sub.cursor = ZERO_ID;
    } else sub.cursor = resumeFrom;
    let stale = 0;
    while (!sub.closed) {
      const page = await store.range(this.stream, sub.cursor, PAGE);
      if (page.length > 0) {
        stale = 0;
        // Half the bound per burst: a subscriber catching up is paced, not cut off.
        if (sub.write(page, this.deps.bound / 2) < page.length) await sub.waitDrain();
        continue;
      }
      if (compareIds(sub.cursor, this.head) >= 0) {
        sub.live = true;
        return;
      }
      // The loop has read past an empty page: read again; if that range is trimmed meanwhile, say so.
      if (++stale > 3) {
        sub.reset(sub.cursor, (await store.position(this.stream)).firstId);
        sub.cursor = ZERO_ID;
        stale = 0;
      }
    }
  }

  private detach(sub: Subscriber, reason: CloseReason): void {
    this.subs.delete(sub);
    if (reason !== 'closed' && reason !== 'shutdown') this.deps.metrics().drops.inc({ stream: this.stream, transport: sub.transport, reason });
  }

  /** Heartbeats; dead peers and consumers that stopped reading between events are closed. */
  heartbeat(): Promise<void> {
    return inSlices([...this.subs], (s) => {
      if (s.closed) return;
      const why = s.heartbeat();
      if (why) s.close(why);
    });
  }

  /** Closes subscribers whose token was revoked or expired, or whose stream was deleted; a changed filter applies at once. */
  async checkTokens(): Promise<void> {
    if (this.subs.size === 0) return;
    const cfg = await this.deps.store.get(this.stream);
    // Thousands of subscribers share a few tokens: each is looked up once.
    const entries = new Map<string, ReturnType<typeof validToken>>();
    for (const s of [...this.subs]) {
      if (!entries.has(s.tokenHash)) entries.set(s.tokenHash, cfg ? validToken(cfg, s.tokenHash) : null);
      const entry = entries.get(s.tokenHash);
      if (!entry) s.close('token_revoked');
      else s.filter = entry.filter ?? null;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    await this.ready.catch(() => {});
    // Dropping the connection ends the blocking read at once.
    this.conn?.disconnect();
    await this.loop;
  }
}

/** One consumer as desk lists it. */
function consumerOf(s: Subscriber) {
  return {
    transport: s.transport,
    connected_at: new Date(s.connectedAt).toISOString(),
    last_event_id: s.cursor === ZERO_ID ? null : s.cursor,
    lag: s.pendingEvents(),
  };
}

/** Every feed of this process, by stream; the heartbeat timer; the gauges' source. */
export class StreamHub implements StreamGaugeSource {
  private readonly feeds = new Map<string, StreamFeed>();
  private readonly timer: NodeJS.Timeout;
  private metrics: StreamMetrics | null = null;
  /** This process in the consumer registrations other processes read. */
  readonly process = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  /** Streams this process registered consumers for, so it can clear them when none are left. */
  private readonly registered = new Set<string>();
  closing = false;

  constructor(private readonly deps: HubDeps) {
    this.timer = setInterval(() => void this.tick(), deps.heartbeatMs);
    this.timer.unref();
  }

  private ticking = false;

  /** One heartbeat: pings and keep-alives, token checks, this process's consumer registration (a slow one is not overlapped). */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const f of this.feeds.values()) {
        await f.heartbeat();
        await f.checkTokens().catch((err: Error) => this.deps.log.debug({ stream: f.stream, err: err.message }, 'stream heartbeat: token check failed'));
      }
      await this.register().catch((err: Error) => this.deps.log.debug({ err: err.message }, 'stream heartbeat: consumer registration failed'));
    } finally {
      this.ticking = false;
    }
  }

  useMetrics(m: StreamMetrics): void {
    this.metrics = m;
  }

  async subscribe(stream: string, sub: Subscriber, resumeFrom: string): Promise<void> {
    let feed = this.feeds.get(stream);
    if (!feed) {
      feed = new StreamFeed(stream, { ...this.deps, metrics: () => this.metrics! });
      this.feeds.set(stream, feed);
    }
    if (feed.lingerTimer) clearTimeout(feed.lingerTimer);
    feed.lingerTimer = null;
    const f = feed;
    sub.onClose(() => {
      if (f.subs.size > 0 || this.closing) return;
      f.lingerTimer = setTimeout(() => {
        if (f.subs.size > 0 || this.feeds.get(stream) !== f) return;
        this.feeds.delete(stream);
        void f.stop();
      }, LINGER_MS);
      f.lingerTimer.unref();
    });
    try {
      await f.ready;
      await f.attach(sub, resumeFrom);
    } catch (err) {
      this.deps.log.warn({ stream, err: (err as Error).message }, 'stream subscribe: history could not be read');
      sub.close('unavailable');
      // A feed that never started (Redis was down) is dropped, so the next subscriber starts a new one.
      if (await f.ready.then(() => false, () => true)) {
        if (this.feeds.get(stream) === f) this.feeds.delete(stream);
        void f.stop();
      }
    }
  }

  /** Applies a configuration change (revoked or expired tokens) to this process's subscribers at once. */
  async revalidate(stream: string): Promise<void> {
    await this.feeds.get(stream)?.checkTokens().catch(() => {});
  }

  /** Closes every subscriber of a deleted stream in this process. */
  dropStream(stream: string): void {
    for (const s of [...(this.feeds.get(stream)?.subs ?? [])]) s.close('token_revoked');
  }

  snapshot() {
    return [...this.feeds.values()].map((f) => {
      const clients: Record<Transport, number> = { sse: 0, ws: 0 };
      let lag = 0;
      for (const s of f.subs) {
        clients[s.transport]++;
        lag = Math.max(lag, s.pendingEvents());
      }
      return { stream: f.stream, clients, lag };
    });
  }

  /**
   * This process's consumers of a stream, for desk: the transport, when it connected, the last
   * event id it was sent (null before the first) and how many events wait in its send buffer.
   */
  consumers(stream: string) {
    return [...(this.feeds.get(stream)?.subs ?? [])].map(consumerOf);
  }

  /**
   * Every process's consumers of a stream: this process's as they are now, the others' as they
   * registered them at their last heartbeat (so their lag and last id are up to one heartbeat old).
   */
  async allConsumers(stream: string) {
    const here = this.consumers(stream).map((c) => ({ ...c, process: this.process }));
    return [...here, ...((await this.deps.store.otherConsumers(stream, this.process)) as typeof here)];
  }

  /**
   * Writes this process's consumers per stream, valid for three heartbeats (a killed process's
   * expire). Built and serialised in slices: thousands of consumers are a JSON text of
   * hundreds of KiB, which in one go would hold up every event for tens of ms.
   */
  private async register(): Promise<void> {
    const streams = new Set([...this.feeds.keys(), ...this.registered]);
    for (const stream of streams) {
      const subs = [...(this.feeds.get(stream)?.subs ?? [])];
      const parts: string[] = [];
      for (let i = 0; i < subs.length; i += SLICE) {
        if (i > 0) await yieldToIo();
        parts.push(JSON.stringify(subs.slice(i, i + SLICE).map((s) => ({ ...consumerOf(s), process: this.process }))).slice(1, -1));
      }
      await this.deps.store.putConsumers(stream, this.process, parts.length ? `[${parts.join(',')}]` : null, this.deps.heartbeatMs * 3);
      if (subs.length) this.registered.add(stream);
      else this.registered.delete(stream);
    }
  }

  /** Shutdown: every subscriber is told to reconnect (elsewhere or after the restart), then the loops stop. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    for (const f of this.feeds.values()) for (const s of [...f.subs]) s.close('shutdown');
    await Promise.all([...this.feeds.values()].map((f) => f.stop()));
    this.feeds.clear();
    await this.register().catch(() => {});
  }
}
