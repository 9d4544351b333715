import type { Redis } from 'ioredis';
import type { Verdict } from './guard';

/**
 * How long a process goes on admitting calls to a connection from its own copy of the last
 * verdict. Changes are announced at once (see {@link AdmitCache}); this bounds only what nothing
 * announces: Redis losing its data while it stays up (FLUSHALL, eviction). A Redis restart drops
 * the subscription, which empties the cache at once.
 */
export const LOCAL_ADMIT_TTL_MS = 1000;

type Go = Extract<Verdict, { verdict: 'go' }>;

/**
 * Lets a call to a connection without a rate limit skip the admit round trip. What the admit
 * script reads (the connection's version, tokens' time and status; the breaker) is written only
 * by PUT, DELETE, token writes, status changes and recorded failures, and each of those
 * publishes the connection id on the events channel in the same transaction. So the last `go`
 * verdict with a closed breaker and no failures stays true until a message says otherwise; it is
 * kept for {@link LOCAL_ADMIT_TTL_MS} and dropped on a message, and nothing is kept while the
 * subscription is not live (a message missed during a reconnect cannot leave a stale copy).
 * A verdict whose admit was in flight when any message arrived is not kept: it may predate it.
 */
export class AdmitCache {
  private readonly entries = new Map<string, { v: Go; until: number }>();
  private generation = 0;
  private live = false;

  constructor(
    private readonly sub: Redis,
    channel: string,
    private readonly ttlMs = LOCAL_ADMIT_TTL_MS,
  ) {
    sub.on('message', (_channel: string, id: string) => this.drop(id));
    sub.on('ready', () => {
      const g = this.generation;
      sub.subscribe(channel).then(
        () => {
          if (g === this.generation) this.live = true;
        },
        () => {},
      );
    });
    const lost = () => {
      this.live = false;
      this.generation++;
      this.entries.clear();
    };
    sub.on('close', lost);
    sub.on('end', lost);
  }

  get(id: string, now: number): Go | undefined {
    if (!this.live) return undefined;
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (e.until > now) return e.v;
    this.entries.delete(id);
    return undefined;
  }

  /** Taken before an admit; {@link keep} ignores the verdict if anything was dropped since. */
  mark(): number {
    return this.generation;
  }

  keep(id: string, v: Go, mark: number, now: number): void {
    if (this.live && mark === this.generation) this.entries.set(id, { v, until: now + this.ttlMs });
  }

  drop(id: string): void {
    this.generation++;
    this.entries.delete(id);
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
