import type { ConnectionStore } from '../connections/store';
import type { Logger } from '../observability/logger';
import type { TokenManager } from './tokens';

/**
 * Proactive refresh: every `intervalMs`, connections whose access token expires within the
 * next interval plus their margin are refreshed, so an idle connection never lets its token
 * (or a provider's idle refresh-token window) lapse. Runs in every process; the refresh lock and
 * the re-read make the extra ones no-ops. Also re-sends token write-backs Frappe missed.
 */
export interface RefresherOptions {
  /** @defaultValue 60000 */
  intervalMs?: number;
}

export class Refresher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  readonly intervalMs: number;

  constructor(
    private readonly d: { store: ConnectionStore; tokens: TokenManager; log: Logger; maxMarginMs: number },
    opts: RefresherOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 60_000;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async tick(): Promise<void> {
    const { store, tokens, log } = this.d;
    const lookahead = this.intervalMs * 2;
    try {
      for (const id of await store.dueForRefresh(Date.now() + lookahead + this.d.maxMarginMs)) {
        try {
          const rt = await store.load(id);
          const tokAt = (await store.readTokens(id))?.obtained_at;
          await tokens.accessToken(rt, tokAt === undefined ? '' : String(tokAt), lookahead);
        } catch (err) {
          log.warn({ connection: id, err: (err as Error).message }, 'proactive refresh failed');
        }
      }
      for (const id of await store.pendingWriteBacks()) await tokens.retryWriteBack(id);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'refresher pass failed');
    }
  }
}
