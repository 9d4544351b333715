import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, errorBody } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EndpointStore, ResolvedEndpoint } from './endpoints';
import { SLUG_PATTERN } from './keys';
import { ByteBudget, readBody } from '../http/body';
import type { AcceptOutcome, EventStore } from './store';
import { parseJson } from './verify/checks';
import { MalformedError, ReplayError, SignatureError, UpstreamError } from './verify/errors';
import type { Verification } from './verify/types';

export interface ReceiveDeps {
  endpoints: EndpointStore;
  events: EventStore;
  metrics: Metrics;
  log: Logger;
  /** Unix milliseconds. @defaultValue Date.now */
  now: () => number;
  /** Bytes all bodies on this route may hold at once (`INBOUND_BODY_BUDGET_BYTES`). */
  budget: ByteBudget;
  /** Deadline for receiving one body (`BODY_TIMEOUT_MS`). */
  bodyTimeoutMs: number;
}

/** Providers' own caps are lower (GitHub 25 MB aside); 1 MiB keeps memory per request bounded. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Hop-by-hop and credential headers are not part of the event Frappe stores. */
const DROPPED_HEADERS = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'connection', 'keep-alive', 'transfer-encoding',
  'content-length', 'te', 'upgrade', 'expect', 'host',
]);
const MAX_ID_LENGTH = 255;

function headersJson(headers: IncomingHttpHeaders): string {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v !== undefined && !DROPPED_HEADERS.has(name)) out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return JSON.stringify(out);
}

function checkContentType(ep: ResolvedEndpoint, req: Request): void {
  if (!ep.contentTypes) return;
  if (!ep.contentTypes.includes(mediaType(req))) {
    throw new AppError('unsupported_media_type', `${ep.provider} webhooks are sent as ${ep.contentTypes.join(' or ')}.`);
  }
}

/** Media type of the request, lower-cased, without parameters. */
function mediaType(req: Request): string {
  const raw = req.headers['content-type'];
  const semi = raw ? raw.indexOf(';') : -1;
  return raw ? (semi < 0 ? raw : raw.slice(0, semi)).trim().toLowerCase() : '';
}

/**
 * The one rule for every provider that posts JSON: a body sent as JSON must be JSON, checked
 * after the signature (so a forger learns nothing) and whether or not the verifier needed to
 * read it. Verifiers that did parse it already pay nothing more (`parseJson` remembers).
 */
function checkJsonBody(ep: ResolvedEndpoint, req: Request, body: Buffer): void {
  if (ep.contentTypes?.includes('application/json') && mediaType(req) === 'application/json') parseJson(body);
}

function checkIds(v: Verification): void {
  for (const e of v.events) {
    if (e.provider_event_id.length > MAX_ID_LENGTH || e.type.length > MAX_ID_LENGTH) throw new MalformedError('The event id or type is too long.');
  }
  if (v.replayToken && v.replayToken.value.length > MAX_ID_LENGTH) throw new MalformedError('The token is too long.');
}

/** Maps a verifier's error to the catalogue; other errors pass through as 500s. */
function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof SignatureError) return new AppError('signature_invalid', err.message);
  if (err instanceof MalformedError) return new AppError('invalid_request', err.message);
  if (err instanceof UpstreamError) return new AppError('unavailable', err.message, undefined, 60);
  return null;
}

const notFound = () => new AppError('not_found', 'No inbound endpoint has this slug.');
/** The config changed twice during one request: rare enough that the provider's retry is the answer. */
const reconfiguring = () => errorBody(new AppError('unavailable', 'The endpoint is being reconfigured; retry.'));

function reply(res: Response, outcome: Extract<AcceptOutcome, { kind: 'ok' }>): void {
  // Written by hand: the hot path skips res.json's ETag and serialisation work.
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(`{"accepted":${outcome.accepted.length},"duplicates":${outcome.duplicates.length}}`);
}

/**
 * `POST /v1/inbound/:slug` (public). Order: endpoint (404) → content type (415) → raw body
 * (413) → signature on the raw bytes (401/400) → one atomic dedup+store script → 200. A
 * duplicate is also 200 so the provider stops retrying. A config changed by another process
 * is detected by version (accept/reject scripts) and the request is checked once more.
 */
export function receiveHandler(d: ReceiveDeps): RequestHandler {
  return async (req, res) => {
    try {
      await receive(d, req, res);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // Redis is the only other dependency here: tell the provider to retry rather than 500.
      // The message only: a Redis error object carries the command's arguments (the payload).
      d.log.error({ err: (err as Error).message, slug: req.params.slug }, 'inbound receive failed');
      throw new AppError('unavailable', 'The event could not be stored; retry later.', undefined, 30);
    }
  };
}

async function receive(d: ReceiveDeps, req: Request, res: Response): Promise<void> {
  const slug = String(req.params.slug);
  const found = SLUG_PATTERN.test(slug) ? await d.endpoints.resolve(slug) : null;
  if (!found) {
    d.metrics.inbound.inc({ provider: 'unknown', result: 'rejected' });
    throw notFound();
  }
  let ep: ResolvedEndpoint = found;
  let body: Buffer | null = null;
  /** Set while the body is being read: a body refused half-read cannot be checked again. */
  let reading = false;
  // At most two passes: the second only after the store said the cached config is stale.
  for (let attempt = 0; ; attempt++) {
    let reloaded: ResolvedEndpoint | null;
    try {
      checkContentType(ep, req);
      if (body === null) {
        reading = true;
        body = await readBody(req, { limit: MAX_BODY_BYTES, timeoutMs: d.bodyTimeoutMs, inflate: false, budget: { pool: d.budget, res } });
        reading = false;
      }
      const nowMs = d.now();
      const v = await ep.verify({ body, headers: req.headers, nowS: Math.floor(nowMs / 1000) });
      checkJsonBody(ep, req, body);
      checkIds(v);
      const outcome = await d.events.accept({
        slug, provider: ep.provider, ver: ep.ver, receivedAtMs: nowMs, headersJson: headersJson(req.headers),
        events: v.events, body, replayToken: v.replayToken,
      });
      if (outcome.kind === 'ok') {
        d.metrics.inbound.inc({ provider: ep.provider, result: outcome.accepted.length > 0 ? 'accepted' : 'duplicate' });
        return reply(res, outcome);
      }
      if (outcome.kind === 'replay') throw new ReplayError('This token was already used (replay).');
      d.endpoints.invalidate(slug);
      if (outcome.kind === 'stale' && attempt > 0) return void res.status(503).set('retry-after', '5').json(reconfiguring());
      reloaded = outcome.kind === 'stale' ? await d.endpoints.resolve(slug) : null;
    } catch (err) {
      const appErr = toAppError(err);
      if (!appErr) throw err;
      const counted = err instanceof ReplayError ? 'ok' : await d.events.reject(slug, ep.ver);
      if (counted !== 'stale' || attempt > 0 || reading) {
        d.metrics.inbound.inc({ provider: ep.provider, result: 'rejected' });
        if (counted === 'gone') throw notFound();
        d.log.debug({ slug, provider: ep.provider, code: appErr.code, reason: appErr.message }, 'inbound request rejected');
        throw appErr;
      }
      d.endpoints.invalidate(slug);
      reloaded = await d.endpoints.resolve(slug);
    }
    if (!reloaded) {
      d.metrics.inbound.inc({ provider: ep.provider, result: 'rejected' });
      throw notFound();
    }
    ep = reloaded;
  }
}
