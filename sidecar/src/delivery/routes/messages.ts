import type { Router } from 'express';
import { parseInput } from '../../http/validate';
import { Id, LookupBody, PostMessagesBody } from '../schemas';
import type { DeliveryService } from '../service';

/** `/v1/messages`: accept, read, look up, replay. */
export function messageRoutes(r: Router, s: DeliveryService): void {
  r.post('/messages', async (req, res) => {
    const body = parseInput(PostMessagesBody, req.body);
    res.status(202).json(await s.messages.accept(body.messages));
  });

  r.post('/messages/lookup', async (req, res) => {
    res.json(await s.messages.lookup(parseInput(LookupBody, req.body).ids));
  });

  r.get('/messages/:id', async (req, res) => {
    res.json(await s.messages.get(parseInput(Id, req.params.id, 'id')));
  });

  r.post('/messages/:id/replay', async (req, res) => {
    const id = parseInput(Id, req.params.id, 'id');
    await s.messages.replay(id);
    res.status(202).json({ id, status: 'pending' });
  });
}
