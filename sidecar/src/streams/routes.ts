import type { Request, Response, Router } from 'express';
import { AppError, notFound } from '../errors';
import { parseInput } from '../http/validate';
import { authenticate, originAllowed, presentedToken } from './auth';
import type { StreamHub } from './fanout';
import type { StreamMetrics } from './metrics';
import { EventId, MAX_EVENT_BYTES, PostEventsBody, StreamId, StreamInput, SubscribeQuery } from './schemas';
import { SseSubscriber } from './sse';
import type { StreamConfig, StreamStore } from './store';
import type { SubscriberLimits } from './subscriber';

export interface StreamRouteDeps {
  store: StreamStore;
  hub: StreamHub;
  metrics: StreamMetrics;
  limits: SubscriberLimits;
}

/** CORS headers for an allowed browser Origin (none for other origins, so the browser refuses). */
function cors(res: Response, cfg: StreamConfig | null, origin: string | undefined): void {
  res.setHeader('vary', 'Origin');
  if (!cfg || origin === undefined || !originAllowed(cfg, origin)) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
}

/** Publishes events (already validated) and counts them; 404 for an unconfigured stream. */
export async function publish(deps: StreamRouteDeps, stream: string, events: Array<{ id?: string; type: string; data: unknown }>) {
  const out = await deps.store.append(
    stream,
    events.map((e, i) => {
      const data = JSON.stringify(e.data);
      if (Buffer.byteLength(data) > MAX_EVENT_BYTES) {
        const message = `event data is larger than ${MAX_EVENT_BYTES} bytes`;
        throw new AppError('payload_too_large', `events[${i}].data: ${message}`, [{ path: `body.events.${i}.data`, message }]);
      }
      return { dedup: e.id, type: e.type, data };
    }),
  );
  if (!out) throw notFound(`Stream ${stream}`);
  const fresh = out.filter((o) => !o.duplicate).length;
  if (fresh) deps.metrics.published.inc({ stream }, fresh);
  return out;
}

/** Configuration and publishing (Bearer auth, JSON bodies). */
export function streamRoutes(r: Router, deps: StreamRouteDeps): void {
  const { store } = deps;
  r.put('/streams/:stream', async (req, res) => {
    const stream = parseInput(StreamId, req.params.stream, 'stream');
    const cfg = await store.put(stream, parseInput(StreamInput, req.body));
    // Revocations and filter changes take effect here before the answer; other processes apply them at their next heartbeat.
    await deps.hub.revalidate(stream);
    res.json({ stream, ...cfg });
  });

  r.get('/streams/:stream', async (req, res) => {
    const stream = parseInput(StreamId, req.params.stream, 'stream');
    const cfg = await store.get(stream);
    if (!cfg) throw notFound(`Stream ${stream}`);
    const pos = await store.position(stream);
    const here = deps.hub.snapshot().find((s) => s.stream === stream);
    res.json({
      stream,
      ...cfg,
      length: pos.length,
      first_id: pos.firstId,
      last_id: pos.lastId,
      clients: here?.clients ?? { sse: 0, ws: 0 },
      // Every process's consumers: this one's live, the others' as of their last heartbeat.
      stats: { pid: process.pid, clients: await deps.hub.allConsumers(stream) },
    });
  });

  r.delete('/streams/:stream', async (req, res) => {
    const stream = parseInput(StreamId, req.params.stream, 'stream');
    if (!(await store.delete(stream))) throw notFound(`Stream ${stream}`);
    deps.hub.dropStream(stream);
    res.status(204).end();
  });

  r.post('/streams/:stream/events', async (req, res) => {
    const stream = parseInput(StreamId, req.params.stream, 'stream');
    const body = parseInput(PostEventsBody, req.body);
    const out = await publish(deps, stream, body.events);
    res.status(202).json({ ids: out.map((o) => o.id) });
  });
}

/** The SSE subscription and its CORS preflight (public: the stream token authenticates). */
export function sseRoutes(r: Router, deps: StreamRouteDeps): void {
  r.options('/streams/:stream/sse', async (req: Request, res: Response) => {
    const stream = parseInput(StreamId, req.params.stream, 'stream');
    const cfg = await deps.store.get(stream);
    cors(res, cfg, req.headers.origin);
    if (!cfg || !originAllowed(cfg, req.headers.origin)) throw new AppError('origin_not_allowed');
    res.setHeader('access-control-allow-methods', 'GET');
    res.setHeader('access-control-allow-headers', 'authorization, last-event-id, cache-control');
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
  });

  r.get('/streams/:stream/sse', async (req: Request, res: Response) => {
    const stream = parseInput(StreamId, req.params.stream, 'stream');
    const query = parseInput(SubscribeQuery, req.query, 'query');
    const header = req.headers['last-event-id'];
    const resumeFrom = typeof header === 'string' && header !== '' ? parseInput(EventId, header, 'Last-Event-ID') : query.last_event_id;
    const cfg = await deps.store.get(stream);
    cors(res, cfg, req.headers.origin);
    const credential = authenticate(cfg, presentedToken(req, query));
    if (!originAllowed(cfg!, req.headers.origin)) throw new AppError('origin_not_allowed');
    if (deps.hub.closing) throw new AppError('unavailable', 'The sidecar is shutting down; reconnect.', undefined, 1);
    // Without a resume point: events from now on, fixed before the client hears it is connected.
    const from = resumeFrom ?? (await deps.store.position(stream)).lastGeneratedId;
    const sub = new SseSubscriber(res, stream, credential, deps.limits);
    sub.open();
    await deps.hub.subscribe(stream, sub, from);
  });
}
