import type { Router } from 'express';
import { notFound } from '../errors';
import { parseInput } from '../http/validate';
import { ChangesBody, ProfileId, ProfileInput, RecordRef, ResolveBody, StartRunBody } from './schemas';
import { profileNotFound, runView, type SyncService } from './service';
import type { SyncState } from './state';

/** `/v1/sync/profiles/…` (docs/sync.md §5); Bearer-authenticated. */
export function syncRoutes(r: Router, svc: SyncService, state: SyncState): void {
  const view = async (id: string) => {
    const p = await state.getProfile(id);
    if (!p) return null;
    const active = await state.activeRun(id);
    const run = active ? await state.getRun(id, active) : null;
    return { profile_id: id, ...p, state: (await state.cursors(id)) ?? { local_cursor: null, remote_cursor: null, deleted_cursor: null }, active_run: run ? runView(run) : null };
  };

  r.put('/sync/profiles/:id', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    await svc.put(id, parseInput(ProfileInput, req.body));
    res.json(await view(id));
  });

  r.get('/sync/profiles/:id', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    const v = await view(id);
    if (!v) throw profileNotFound(id);
    res.json(v);
  });

  r.delete('/sync/profiles/:id', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    if (!(await svc.remove(id))) throw profileNotFound(id);
    res.status(204).end();
  });

  r.post('/sync/profiles/:id/runs', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    const { kind } = parseInput(StartRunBody, req.body);
    res.status(202).json(runView(await svc.startRun(id, kind)));
  });

  r.get('/sync/profiles/:id/runs/:run', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    const run = await svc.getRun(id, String(req.params.run));
    if (!run && !(await state.getProfile(id))) throw profileNotFound(id);
    if (!run) throw notFound(`Run ${String(req.params.run)}`);
    res.json(runView(run));
  });

  r.post('/sync/profiles/:id/changes', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    const { changes } = parseInput(ChangesBody, req.body);
    await svc.changes(id, changes.filter((c) => c.action === 'upsert').map((c) => c.name), changes.filter((c) => c.action === 'delete').map((c) => c.name));
    res.status(202).json({ queued: changes.length });
  });

  r.post('/sync/profiles/:id/records/resync', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    await svc.resync(id, parseInput(RecordRef, req.body));
    res.status(202).json({ queued: true });
  });

  r.post('/sync/profiles/:id/retry-failed', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    res.status(202).json(runView(await svc.startRun(id, 'retry_failed')));
  });

  r.post('/sync/profiles/:id/conflicts/resolve', async (req, res) => {
    const id = parseInput(ProfileId, req.params.id, 'id');
    const body = parseInput(ResolveBody, req.body);
    const row = await svc.resolve(id, { local_name: body.local_name, external_id: body.external_id }, body.take, body.values);
    res.json({ status: row.status, local_name: row.local_name, external_id: row.external_id, error: row.error ?? null });
  });
}
