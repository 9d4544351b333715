import type { Router } from 'express';
import { notFound } from '../../errors';
import { parseInput } from '../../http/validate';
import { EndpointInput, Id, ListMessagesQuery, RecoverBody } from '../schemas';
import { deleteEndpoint, saveEndpoint, type DeliveryService } from '../service';

/** `/v1/endpoints/{id}`: configuration, stats, recent messages, recover. */
export function endpointRoutes(r: Router, s: DeliveryService): void {
  r.put('/endpoints/:id', async (req, res) => {
    const id = parseInput(Id, req.params.id, 'id');
    res.json(await saveEndpoint(s, id, parseInput(EndpointInput, req.body)));
  });

  r.get('/endpoints/:id', async (req, res) => {
    const id = parseInput(Id, req.params.id, 'id');
    const view = await s.endpoints.get(id);
    if (!view) throw notFound(`Endpoint ${id}`);
    res.json(view);
  });

  r.delete('/endpoints/:id', async (req, res) => {
    const id = parseInput(Id, req.params.id, 'id');
    if (!(await deleteEndpoint(s, id))) throw notFound(`Endpoint ${id}`);
    res.status(204).end();
  });

  r.get('/endpoints/:id/messages', async (req, res) => {
    const id = parseInput(Id, req.params.id, 'id');
    const q = parseInput(ListMessagesQuery, req.query, 'query');
    res.json(await s.messages.listForEndpoint(id, q.status, q.limit));
  });

  r.post('/endpoints/:id/recover', async (req, res) => {
    const id = parseInput(Id, req.params.id, 'id');
    const body = parseInput(RecoverBody, req.body);
    const requeued = await s.messages.recover(id, Date.parse(body.since), body.until ? Date.parse(body.until) : Date.now());
    res.status(202).json({ requeued });
  });
}
