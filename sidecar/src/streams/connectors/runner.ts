import type { LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import type { ConnectionAuthInjector } from '../../connections/auth-headers';
import { backoffMs } from '../../inbound/forwarder';
import type { EndpointStore } from '../../inbound/endpoints';
import type { EventStore } from '../../inbound/store';
import { valueAt } from '../json-path';
import type { Logger } from '../../observability/logger';
import type { ConnectorInput } from './schemas';
import { runSse, runWs, SourceError } from './sources';
import type { SseMessage } from './sse-parser';
import type { ConnectorStore } from './store';

/** The sidecar's own limit on provider event ids and types (inbound/receive.ts). */
const MAX_ID_LENGTH = 255;
/** A connection that lasted this long (or delivered an event) was healthy: backoff starts over. */
const STABLE_MS = 30_000;

export interface RunnerDeps {
  store: ConnectorStore;
  endpoints: EndpointStore;
  events: EventStore;
  auth: ConnectionAuthInjector | null;
  agent: Agent;
  lookup: LookupFunction;
  checkHost: (hostname: string) => void;
  holder: string;
  log: Logger;
  onEvent: (id: string, result: 'forwarded' | 'duplicate' | 'skipped') => void;
}

/** The value at a dot path of parsed JSON, as a string; null when absent or not a scalar. */
export function pick(data: unknown, path: string): string | null {
  const v = valueAt(data, path);
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** The URL a (re)connect opens: a WebSocket source's resume parameter carries the last id. */
export function sourceUrl(cfg: ConnectorInput, resumeId: string | null, query: Array<[string, string]> = []): URL {
  const u = new URL(cfg.url);
  for (const [k, v] of query) u.searchParams.set(k, v);
  if (cfg.transport === 'ws' && cfg.resume_param && resumeId) u.searchParams.set(cfg.resume_param, resumeId);
  return u;
}

/**
 * One connector's connection, in the process holding its lease: connect (auth from the
 * connection), read events in order, store each into the inbound queue of its endpoint —
 * deduplicated there on the event id, atomically with storing — and move the resume point
 * only after; on any end, reconnect after a backoff with jitter, recording why.
 */
export class ConnectorRunner {
  private abort = new AbortController();
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly id: string,
    private cfg: ConnectorInput,
    public ver: string,
    private readonly d: RunnerDeps,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** A new config: the current connection ends and the next one uses it, without a backoff. */
  reconfigure(cfg: ConnectorInput, ver: string): void {
    this.cfg = cfg;
    this.ver = ver;
    this.abort.abort('the configuration changed');
    this.wake?.();
  }

  async stop(reason: string): Promise<void> {
    this.stopped = true;
    this.abort.abort(reason);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { store, holder } = this.d;
    let attempt = 0;
    while (!this.stopped) {
      this.abort = new AbortController();
      const signal = this.abort.signal;
      const cfg = this.cfg;
      let opened = 0;
      let events = 0;
      let reason: string;
      try {
        await store.setState(this.id, holder, 'connecting', { attempt });
        const resumeId = await store.resumeId(this.id);
        const u = new URL(cfg.url);
        const auth = cfg.connection_id && this.d.auth ? await this.d.auth.forUrl(cfg.connection_id, u) : { headers: {}, query: [] };
        const url = sourceUrl(cfg, resumeId, auth.query);
        this.d.checkHost(url.hostname);
        const run = {
          url,
          headers: auth.headers,
          lastEventId: resumeId,
          idleMs: cfg.idle_timeout_s * 1000,
          signal,
          onOpen: () => {
            opened = Date.now();
            void store.setState(this.id, holder, 'connected', { connected_at: new Date(opened).toISOString() }).catch(() => {});
          },
          onEvent: async (m: SseMessage) => {
            await this.deliver(cfg, m);
            events++;
          },
        };
        reason = cfg.transport === 'sse' ? await runSse(this.d.agent, run) : await runWs(this.d.lookup, run);
      } catch (err) {
        if (signal.aborted && !(err instanceof SourceError)) reason = String(signal.reason);
        else reason = (err as Error).message;
      }
      if (this.stopped) break;
      const configChanged = signal.aborted && signal.reason === 'the configuration changed';
      attempt = configChanged || (opened && (events > 0 || Date.now() - opened >= STABLE_MS)) ? 1 : attempt + 1;
      const at = new Date().toISOString();
      await store.reconnecting(this.id, { at, reason: reason.slice(0, 500), attempt, holder }).catch(() => {});
      this.d.log.info({ connector: this.id, reason, attempt }, 'stream connector: reconnecting');
      if (!configChanged) await this.sleep(backoffMs(attempt, cfg.min_backoff_ms, cfg.max_backoff_ms));
    }
  }

  /** Stores one remote event into the inbound queue (dedup on its id there); a stale endpoint is resolved again once. */
  private async deliver(cfg: ConnectorInput, m: SseMessage): Promise<void> {
    const { store, endpoints, events } = this.d;
    let parsed: unknown;
    if (cfg.event_id_field || cfg.event_type_field) {
      try {
        parsed = JSON.parse(m.data);
      } catch {
        return this.skip('an event\'s data is not JSON', m.id);
      }
    }
    const eventId = cfg.event_id_field ? pick(parsed, cfg.event_id_field) : m.id || null;
    if (!eventId) return this.skip(cfg.event_id_field ? `an event has no ${cfg.event_id_field}` : 'an event has no SSE id', m.id);
    const type = (cfg.event_type_field ? pick(parsed, cfg.event_type_field) : m.type) ?? '';
    if (eventId.length > MAX_ID_LENGTH || type.length > MAX_ID_LENGTH) return this.skip('an event id or type is longer than 255 characters', m.id);
    const slug = cfg.inbound_endpoint;
    const headersJson = JSON.stringify({ 'x-stream-connector': this.id, 'x-stream-transport': cfg.transport, ...(cfg.transport === 'sse' ? { 'x-sse-event': m.type } : {}) });
    for (let pass = 0; pass < 2; pass++) {
      const ep = await endpoints.resolve(slug);
      if (!ep) throw new SourceError(`inbound endpoint ${slug} is not configured in the sidecar`);
      const outcome = await events.accept({
        slug, provider: ep.provider, ver: ep.ver, receivedAtMs: Date.now(), headersJson,
        events: [{ provider_event_id: eventId, type, payload: m.data }], body: Buffer.from(m.data),
      });
      if (outcome.kind === 'ok') {
        const fresh = outcome.accepted.length > 0;
        await store.advanced(this.id, fresh ? 'forwarded' : 'duplicates', eventId, cfg.transport === 'sse' ? m.id || eventId : eventId);
        this.d.onEvent(this.id, fresh ? 'forwarded' : 'duplicate');
        return;
      }
      endpoints.invalidate(slug);
      if (outcome.kind === 'gone') throw new SourceError(`inbound endpoint ${slug} was deleted`);
    }
    throw new SourceError(`inbound endpoint ${slug} is being reconfigured`);
  }

  private async skip(reason: string, sseId: string): Promise<void> {
    await this.d.store.skipped(this.id, reason, this.cfg.transport === 'sse' && sseId ? sseId : null);
    this.d.onEvent(this.id, 'skipped');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((ok) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        ok();
      }
      this.wake = done;
    });
  }
}
