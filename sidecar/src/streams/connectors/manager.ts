import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../observability/logger';
import { Lease } from './lease';
import { ConnectorRunner, type RunnerDeps } from './runner';
import type { ConnectorStore } from './store';
import type { Redis } from 'ioredis';

export interface ManagerOptions {
  /** How long a lease lasts unrenewed: a dead holder's connector moves after this. @defaultValue 15000 */
  leaseMs?: number;
  /** How often the process renews its leases and looks for configs to take or changes. @defaultValue 3000 */
  tickMs?: number;
}

/**
 * Every process runs one manager; each connector's lease decides which process holds its
 * remote connection, so several sidecars never forward the same source twice over. Each tick
 * renews this process's leases (a lost lease stops the connection at once), applies config
 * changes and deletions, and tries to take connectors nobody holds.
 */
export class ConnectorManager {
  readonly holder = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly runners = new Map<string, ConnectorRunner>();
  private readonly lease: Lease;
  private readonly o: Required<ManagerOptions>;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopping = false;

  constructor(
    redis: Redis,
    private readonly store: ConnectorStore,
    private readonly runnerDeps: Omit<RunnerDeps, 'holder'>,
    private readonly log: Logger,
    opts: ManagerOptions = {},
  ) {
    this.o = { leaseMs: 15_000, tickMs: 3000, ...opts };
    this.lease = new Lease(redis, this.holder, this.o.leaseMs);
  }

  start(): void {
    const loop = () => {
      this.timer = setTimeout(() => void this.poke().finally(() => !this.stopping && loop()), this.o.tickMs);
    };
    void this.poke();
    loop();
  }

  /** One tick now (after a PUT or DELETE here); concurrent calls share it. */
  poke(): Promise<void> {
    this.ticking ??= this.tick()
      .catch((err: Error) => this.log.warn({ err: err.message }, 'stream connectors: tick failed'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    const ids = new Set([...(await this.store.ids()), ...this.runners.keys()]);
    for (const id of ids) {
      if (this.stopping) return;
      const stored = await this.store.get(id);
      const r = this.runners.get(id);
      const key = this.store.keys.lease(id);
      if (!stored || !stored.config.enabled) {
        if (r) await this.drop(id, r, stored ? 'disabled' : 'deleted');
        if (stored && (await this.lease.acquire(key))) {
          await this.store.setState(id, this.holder, 'disabled');
          await this.lease.release(key);
        }
        continue;
      }
      if (r) {
        if (!(await this.lease.renew(key))) {
          this.log.warn({ connector: id }, 'stream connector: lease lost; another process takes over');
          this.runners.delete(id);
          await r.stop('the lease was lost');
        } else if (r.ver !== stored.ver) r.reconfigure(stored.config, stored.ver);
        continue;
      }
      if (await this.lease.acquire(key)) {
        const runner = new ConnectorRunner(id, stored.config, stored.ver, { ...this.runnerDeps, holder: this.holder });
        this.runners.set(id, runner);
        runner.start();
      }
    }
  }

  private async drop(id: string, r: ConnectorRunner, why: string): Promise<void> {
    this.runners.delete(id);
    await r.stop(why);
    await this.lease.release(this.store.keys.lease(id));
  }

  /** Shutdown: connections end and leases are released, so another process takes over at its next tick. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(
      [...this.runners].map(async ([id, r]) => {
        await this.drop(id, r, 'the sidecar is stopping');
        await this.store.setState(id, this.holder, 'stopped').catch(() => {});
      }),
    );
  }
}
