import type { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors';
import { parseInput } from '../http/validate';
import type { EndpointStore } from './endpoints';
import { SLUG_PATTERN } from './keys';
import type { EventStore } from './store';
import { EndpointConfigSchema } from './verify/registry';

const SlugParams = z.object({ slug: z.string().regex(SLUG_PATTERN, 'must be 1–100 of A-Z a-z 0-9 . _ - (not starting with . _ -)') }).strict();
const EventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict();
const LookupBody = z.object({ slugs: z.array(SlugParams.shape.slug).min(1).max(1000) }).strict();

export interface RouteDeps {
  endpoints: EndpointStore;
  events: EventStore;
  /** Status of an event Frappe has not taken yet: "queued" with a Frappe, "stored" standalone. */
  pendingStatus: 'queued' | 'stored';
}

const notFound = () => new AppError('not_found', 'Inbound endpoint not found.');

/** The authenticated inbound-endpoint API (DESIGN §3): PUT/GET/DELETE, a batch lookup, and the event listing. */
export function inboundRoutes(r: Router, d: RouteDeps): void {
  // Many endpoints' views (stats included) in one call: the desk lists every endpoint at once.
  r.post('/inbound-endpoints/lookup', async (req, res) => {
    const { slugs } = parseInput(LookupBody, req.body);
    res.json(await d.endpoints.lookup(slugs));
  });

  r.put('/inbound-endpoints/:slug', async (req, res) => {
    const { slug } = parseInput(SlugParams, req.params, 'path');
    const config = parseInput(EndpointConfigSchema, req.body);
    res.json(await d.endpoints.put(slug, config));
  });

  r.get('/inbound-endpoints/:slug', async (req, res) => {
    const { slug } = parseInput(SlugParams, req.params, 'path');
    const view = await d.endpoints.view(slug);
    if (!view) throw notFound();
    res.json(view);
  });

  r.delete('/inbound-endpoints/:slug', async (req, res) => {
    const { slug } = parseInput(SlugParams, req.params, 'path');
    const existed = await d.events.dropEndpoint(slug);
    d.endpoints.invalidate(slug);
    if (!existed) throw notFound();
    res.status(204).end();
  });

  r.get('/inbound-endpoints/:slug/events', async (req, res) => {
    const { slug } = parseInput(SlugParams, req.params, 'path');
    const { limit } = parseInput(EventsQuery, req.query, 'query');
    if (!(await d.endpoints.view(slug))) throw notFound();
    const events = await d.events.list(slug, limit);
    res.json(
      events.map(({ settled, ...e }) => ({ ...e, status: settled ?? d.pendingStatus })),
    );
  });
}
