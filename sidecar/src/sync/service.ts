import { createHash, randomBytes } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError } from '../errors';
import type { Logger } from '../observability/logger';
import { isRedisUnavailable } from '../queues/redis-errors';
import { SyncEngine, type EngineDeps } from './engine';
import { ProfileInput, type Profile, type RecordRef } from './schemas';
import { EMPTY_CURSORS, emptyStats, type Run, type RunKind, type SyncState } from './state';
import type { LocalSite, SyncLog } from './stores/frappe-local';

/**
 * Runs the engine as BullMQ jobs: `run` (incremental / full / retry-failed, one page per
 * checkpoint), `changes` (the real-time push of named local records) and `record` (one record,
 * retried alone with backoff). A profile lock keeps one job per profile at a time across
 * processes; a job whose process died stalls and is taken over, resuming from its checkpoint.
 */

export const SYNC_QUEUE = 'sync';
const LOCK_TTL_MS = 10_000;
/** At most one progress report to Frappe per profile per second (desk gets realtime every page). */
const REPORT_EVERY_MS = 1000;

type JobData =
  | { t: 'run'; p: string; r: string }
  | { t: 'changes'; p: string; upsert: string[]; delete: string[] }
  | { t: 'record'; p: string; ref: RecordRef }
  | { t: 'schedule'; p: string };

export interface SyncServiceDeps {
  redis: Redis;
  prefix: string;
  state: SyncState;
  local: LocalSite;
  engine: Omit<EngineDeps, 'scheduleRetry' | 'state' | 'local'>;
  log: Logger;
  concurrency: number;
}

export class SyncService {
  readonly queue: Queue<JobData>;
  private worker: Worker<JobData> | null = null;
  readonly engine: SyncEngine;
  private readonly lastReport = new Map<string, number>();

  constructor(private readonly d: SyncServiceDeps) {
    this.queue = new Queue<JobData>(SYNC_QUEUE, { connection: d.redis, prefix: d.prefix });
    this.queue.on('error', (err) => {
      if (!isRedisUnavailable(err)) d.log.error({ err: err.message }, 'sync queue error');
    });
    this.engine = new SyncEngine({
      ...d.engine,
      state: d.state,
      local: d.local,
      scheduleRetry: (p, ref, delayMs) => this.scheduleRecord(p, ref, delayMs),
    });
  }

  /** `workerConnection`: a connection of its own (the worker blocks on it). */
  start(workerConnection: Redis): void {
    this.worker = new Worker<JobData>(SYNC_QUEUE, (job, token) => this.process(job, token), {
      connection: workerConnection,
      prefix: this.d.prefix,
      concurrency: this.d.concurrency,
      // A dead process's job goes back to the queue within ~20 s and resumes from its checkpoint.
      lockDuration: 15_000,
      stalledInterval: 5_000,
      maxStalledCount: 100,
    });
    this.worker.on('error', (err) => {
      if (!isRedisUnavailable(err)) this.d.log.error({ err: err.message }, 'sync worker error');
    });
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  /** The profile from Redis, or from Frappe when Redis does not have it (flushed, never pushed). */
  async profile(id: string): Promise<Profile | null> {
    const p = await this.d.state.getProfile(id);
    if (p) return p;
    const fromFrappe = (await this.d.local.getProfile(id).catch(() => null)) as (Record<string, unknown> & { state?: unknown }) | null;
    if (!fromFrappe) return null;
    const { state, ...cfg } = fromFrappe;
    const parsed = ProfileInput.safeParse(cfg);
    if (!parsed.success) return null;
    await this.put(id, parsed.data, state as typeof EMPTY_CURSORS | undefined);
    return parsed.data;
  }

  async put(id: string, p: Profile, cursors?: typeof EMPTY_CURSORS): Promise<void> {
    await this.d.state.putProfile(id, p);
    if (cursors && !(await this.d.state.cursors(id))) await this.d.state.setCursors(id, { ...EMPTY_CURSORS, ...cursors });
    if (p.enabled && p.mode === 'scheduled' && p.schedule_cron) {
      await this.queue.upsertJobScheduler(`sched-${id}`, { pattern: p.schedule_cron, tz: 'UTC' }, { name: 'schedule', data: { t: 'schedule', p: id } });
    } else await this.queue.removeJobScheduler(`sched-${id}`);
  }

  async remove(id: string): Promise<boolean> {
    await this.queue.removeJobScheduler(`sched-${id}`);
    return this.d.state.deleteProfile(id);
  }

  private async mustProfile(id: string): Promise<Profile> {
    const p = await this.profile(id);
    if (!p) throw profileNotFound(id);
    if (!p.enabled) throw new AppError('profile_disabled', `Sync profile ${id} is disabled.`);
    return p;
  }

  /** Starts a run, or answers the one already queued or running for this profile. */
  async startRun(id: string, kind: Extract<RunKind, 'incremental' | 'full' | 'retry_failed'>): Promise<Run & { already_running?: true }> {
    const p = await this.mustProfile(id);
    const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const holder = await this.d.state.claimActive(id, runId);
    if (holder) {
      const run = await this.d.state.getRun(id, holder);
      if (run && (run.status === 'queued' || run.status === 'running')) return { ...run, already_running: true };
      // The holder finished without releasing (crash between the two writes): take its place.
      await this.d.state.releaseActive(id, holder);
      return this.startRun(id, kind);
    }
    const run: Run = {
      run_id: runId, profile_id: id, kind, status: 'queued', phase: 'pull', started_at: new Date().toISOString(), finished_at: null,
      stats: emptyStats(), total: null, error: null,
      checkpoint: { phases: this.engine.phasesFor(p, kind), since_ms: null, token: null, max_ms: null, local: null, lookback_used: false, deleted: null, logs_after: null },
    };
    run.phase = run.checkpoint.phases[0] ?? 'done';
    await this.d.state.saveRun(run);
    await this.queue.add('run', { t: 'run', p: id, r: runId }, { jobId: `run-${id}-${runId}`, attempts: 20, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: { age: 7 * 86400 } });
    this.report(run, true);
    return run;
  }

  async getRun(id: string, runId: string): Promise<Run | null> {
    return this.d.state.getRun(id, runId);
  }

  async changes(id: string, upsert: string[], del: string[]): Promise<void> {
    await this.mustProfile(id);
    await this.queue.add('changes', { t: 'changes', p: id, upsert, delete: del }, { attempts: 20, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 7 * 86400 } });
  }

  async scheduleRecord(id: string, ref: RecordRef, delayMs: number): Promise<void> {
    const key = createHash('sha256').update(`${ref.local_name ?? ''}\u0000${ref.external_id ?? ''}`).digest('hex').slice(0, 24);
    // One pending retry per record: a second failure before it runs does not add another.
    await this.queue.add('record', { t: 'record', p: id, ref }, {
      jobId: `rec-${id}-${key}-${Math.floor((Date.now() + delayMs) / 1000)}`, delay: Math.ceil(delayMs), attempts: 10, backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true, removeOnFail: { age: 7 * 86400 },
    });
  }

  /** Queues one record's reconcile; a record the profile knows nothing of is refused, not queued. */
  async resync(id: string, ref: RecordRef): Promise<void> {
    const p = await this.mustProfile(id);
    if (!(await this.engine.findLog(id, ref)) && !(await this.engine.exists(id, p, ref))) throw recordNotFound(ref);
    await this.scheduleRecord(id, ref, 0);
  }

  async resolve(id: string, ref: RecordRef, take: 'local' | 'remote' | 'merge', values?: Record<string, unknown>): Promise<SyncLog> {
    const p = await this.mustProfile(id);
    const log = await this.engine.findLog(id, ref);
    if (!log) throw recordNotFound(ref);
    if (log.status !== 'Conflict') throw new AppError('conflict_already_resolved', `The record is ${log.status}: no conflict waits (resolved already, or never in conflict).`);
    const run = this.adhocRun(id, 'record');
    return this.engine.resolve(run, p, log, take, values);
  }

  private adhocRun(id: string, kind: RunKind): Run {
    return {
      run_id: `${kind}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, profile_id: id, kind, status: 'running', phase: 'push',
      started_at: new Date().toISOString(), finished_at: null, stats: emptyStats(), total: null, error: null,
      checkpoint: { phases: [], since_ms: null, token: null, max_ms: null, local: null, lookback_used: false, deleted: null, logs_after: null },
    };
  }

  private async process(job: Job<JobData>, token?: string): Promise<void> {
    const data = job.data;
    if (data.t === 'schedule') {
      await this.startRun(data.p, 'incremental').catch((err: Error) => this.d.log.warn({ profile: data.p, err: err.message }, 'scheduled sync run not started'));
      return;
    }
    const lock = await this.d.state.lock(data.p, LOCK_TTL_MS);
    if (!lock) {
      // Another job works on this profile: come back shortly (no attempt is used up).
      await job.moveToDelayed(Date.now() + 300 + Math.floor(Math.random() * 400), token);
      throw new DelayedError();
    }
    let lost = false;
    const renew = setInterval(() => {
      void this.d.state.renew(data.p, lock, LOCK_TTL_MS).then((ok) => (lost ||= !ok), () => undefined);
    }, LOCK_TTL_MS / 3);
    try {
      if (data.t === 'run') await this.runJob(job, data.p, data.r, () => lost);
      else await this.smallJob(data);
    } finally {
      clearInterval(renew);
      await this.d.state.unlock(data.p, lock).catch(() => undefined);
    }
  }

  private async smallJob(data: Extract<JobData, { t: 'changes' | 'record' }>): Promise<void> {
    const p = await this.profile(data.p);
    if (!p || !p.enabled) return;
    const run = this.adhocRun(data.p, data.t);
    if (data.t === 'record') await this.engine.one(run, p, data.ref);
    else {
      if (p.direction !== 'pull') {
        const recs = await this.d.local.getRecords(p.local_doctype, data.upsert);
        run.stats.seen += recs.size;
        await this.engine.fromLocal(run, p, [...recs.values()]);
        // A name the message said was saved but is gone now was deleted since: the delete path has it.
        await this.engine.localDeleted(run, p, [...data.delete, ...data.upsert.filter((n) => !recs.has(n))]);
      }
    }
    run.status = 'succeeded';
    run.finished_at = new Date().toISOString();
    const st = run.stats;
    // Run history is for what changed something: a no-op real-time message is not a run worth listing.
    if (st.created + st.updated + st.deleted + st.failed + st.conflicts > 0) this.report(run, true);
  }

  private async runJob(job: Job<JobData>, id: string, runId: string, lockLost: () => boolean): Promise<void> {
    const run = await this.d.state.getRun(id, runId);
    if (!run || run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') return;
    const p = await this.profile(id);
    if (!p || !p.enabled) return this.finish(run, 'cancelled', 'the profile was deleted or disabled');
    run.status = 'running';
    try {
      for (;;) {
        const more = await this.engine.step(run, p);
        await this.d.state.saveRun(run);
        this.report(run, false);
        if (!more) break;
        if (lockLost()) throw new Error('lost the profile lock');
        if (!(await this.d.state.getProfile(id))?.enabled) return this.finish(run, 'cancelled', 'the profile was deleted or disabled');
      }
      await this.finish(run, 'succeeded', null);
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.d.log.warn({ profile: id, run: runId, err: this.engine.redact(p, (err as Error).message), last }, 'sync run page failed');
      run.error = this.engine.redact(p, (err as Error).message).slice(0, 1000);
      if (last) return this.finish(run, 'failed', run.error);
      await this.d.state.saveRun(run);
      throw err;
    }
  }

  private async finish(run: Run, status: Run['status'], error: string | null): Promise<void> {
    run.status = status;
    run.error = error;
    run.phase = 'done';
    run.finished_at = new Date().toISOString();
    await this.d.state.saveRun(run);
    await this.d.state.releaseActive(run.profile_id, run.run_id);
    if (status !== 'succeeded') await this.d.state.dropSeen(run.profile_id, run.run_id);
    this.report(run, true);
  }

  /** Progress to desk at every page; to Frappe's run history at most once a second and at the end. */
  private report(run: Run, force: boolean): void {
    const view = runView(run);
    this.d.engine.progress(run);
    const key = `${run.profile_id}:${run.run_id}`;
    const last = this.lastReport.get(key) ?? 0;
    const final = run.status !== 'queued' && run.status !== 'running';
    if (!force && !final && Date.now() - last < REPORT_EVERY_MS) return;
    if (final) this.lastReport.delete(key);
    else this.lastReport.set(key, Date.now());
    void this.d.state
      .cursors(run.profile_id)
      .then((state) => this.d.local.reportRun(run.profile_id, { ...view, state: state ?? EMPTY_CURSORS }))
      .catch((err: Error) => this.d.log.warn({ profile: run.profile_id, err: err.message }, 'sync run report failed'));
  }
}

export const profileNotFound = (id: string) => new AppError('sync_profile_not_found', `Sync profile ${id} not found.`);

function recordNotFound(ref: RecordRef): AppError {
  const what = [ref.local_name && `local ${ref.local_name}`, ref.external_id && `remote ${ref.external_id}`].filter(Boolean).join(' / ');
  return new AppError('sync_record_not_found', `No record ${what} in this profile: no Sync Log row, and neither side holds it.`);
}

/** A run as the API shows it (the checkpoint is internal). */
export function runView(run: Run & { already_running?: true }) {
  const { checkpoint: _cp, ...view } = run;
  // A copy: the run's stats keep changing after a view of them is queued for realtime.
  return { ...view, stats: { ...view.stats } };
}
