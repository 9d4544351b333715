/**
 * Realtime progress of sync runs (`integrations_sync_progress`, docs/sync.md §3) folded into
 * what the page shows, and the merge a person edits in the conflict queue. Pure functions: the
 * composable owns the state.
 */
import type { SyncConflict, SyncProfileRow, SyncRun, SyncRunEvent } from '../../types/api'

const KINDS: Record<SyncRunEvent['kind'], SyncRun['kind']> = {
  incremental: 'Incremental',
  full: 'Full',
  retry_failed: 'Retry Failed',
  changes: 'Changes',
  record: 'Record',
}
const STATUSES: Record<SyncRunEvent['status'], SyncRun['status']> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
}
const FINAL: ReadonlySet<SyncRun['status']> = new Set(['Succeeded', 'Failed', 'Cancelled'])

/** The resolve was refused because the conflict is settled already (sync/errors.py ConflictAlreadyResolved). */
export const settledBefore = (error: { exc_type?: string } | null | undefined): boolean => error?.exc_type === 'ConflictAlreadyResolved'

export const isFinal = (run: Pick<SyncRun, 'status'>): boolean => FINAL.has(run.status)

/** 0..1 while the total is known, null otherwise (as `sync/rules/runs.py` `progress`). */
export function runProgress(run: Pick<SyncRun, 'status' | 'seen' | 'total'>): number | null {
  if (FINAL.has(run.status)) return 1
  return run.total ? Math.min(1, run.seen / run.total) : null
}

/** A published run in the desk API's shape; what the event lacks is kept from `previous`. */
export function runFromEvent(event: SyncRunEvent, previous?: SyncRun | null): SyncRun {
  const run: SyncRun = {
    name: previous?.name ?? event.run_id,
    run_id: event.run_id,
    profile: event.profile_id,
    kind: KINDS[event.kind] ?? previous?.kind ?? 'Incremental',
    status: STATUSES[event.status] ?? previous?.status ?? 'Running',
    phase: event.phase ?? null,
    started_at: event.started_at ?? previous?.started_at ?? null,
    finished_at: event.finished_at ?? null,
    requested_by: previous?.requested_by ?? null,
    ...event.stats,
    total: event.total ?? 0,
    error: event.error,
    progress: null,
  }
  run.progress = runProgress(run)
  return run
}

/** The newest event per run: a burst carries several pages of the same run. */
function latestPerRun(items: SyncRunEvent[]): SyncRunEvent[] {
  const byRun = new Map<string, SyncRunEvent>()
  for (const item of items) {
    const seen = byRun.get(item.run_id)
    // a final state is never replaced by a progress report that arrived after it
    if (seen && STATUSES[seen.status] && FINAL.has(STATUSES[seen.status]) && !FINAL.has(STATUSES[item.status])) continue
    byRun.set(item.run_id, item)
  }
  return [...byRun.values()]
}

/** Profiles with the runs of `items` applied: a running run is the profile's active run, a
 * finished one becomes its last run. Returns the same array when nothing applied. */
export function applyProgress(profiles: SyncProfileRow[], items: SyncRunEvent[]): SyncProfileRow[] {
  let changed = false
  const next = profiles.map((profile) => {
    let row = profile
    for (const event of latestPerRun(items.filter((i) => i.profile_id === profile.name))) {
      const known = row.active_run?.run_id === event.run_id ? row.active_run : row.last_run?.run_id === event.run_id ? row.last_run : null
      if (known && isFinal(known) && !FINAL.has(STATUSES[event.status])) continue
      const run = runFromEvent(event, known)
      row = isFinal(run)
        ? {
            ...row,
            active_run: row.active_run?.run_id === run.run_id ? null : row.active_run,
            last_run: run,
            last_run_status: run.status,
            last_run_at: run.started_at ?? row.last_run_at,
          }
        : { ...row, active_run: run }
      changed = true
    }
    return row
  })
  return changed ? next : profiles
}

/** A profile's run history with its runs of `items` upserted, newest first, capped at `keep`. */
export function applyRunHistory(runs: SyncRun[], items: SyncRunEvent[], profile: string, keep: number): SyncRun[] {
  const mine = latestPerRun(items.filter((i) => i.profile_id === profile))
  if (!mine.length) return runs
  const next = [...runs]
  for (const event of mine) {
    const index = next.findIndex((r) => r.run_id === event.run_id)
    if (index >= 0) {
      if (isFinal(next[index]!) && !FINAL.has(STATUSES[event.status])) continue
      next[index] = runFromEvent(event, next[index])
    } else {
      next.unshift(runFromEvent(event))
    }
  }
  return next.slice(0, keep)
}

/** What a merge starts from: each field in conflict set to the local value, as text. */
export function initialMerge(conflict: SyncConflict): Record<string, string> {
  const draft: Record<string, string> = {}
  for (const row of conflict.rows) if (row.conflict) draft[row.field] = displayValue(row.local)
  return draft
}

/** A value as the person reads and edits it: blank for null, JSON for anything not text. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The edited text back as a value shaped like the sides' own: a number stays a number,
 * true/false a boolean, blank is null when a side had null. */
export function parseEdited(text: string, local: unknown, remote: unknown): unknown {
  const like = [local, remote].find((v) => v !== null && v !== undefined)
  const trimmed = text.trim()
  if (trimmed === '' && (local === null || remote === null || like === undefined)) return null
  if (typeof like === 'number' && trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed)
  if (typeof like === 'boolean' && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true'
  return text
}

/** The `values` of a merge: every field in conflict, typed like its sides. */
export function mergeValues(conflict: SyncConflict, draft: Record<string, string>): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const row of conflict.rows) {
    if (row.conflict) values[row.field] = parseEdited(draft[row.field] ?? '', row.local, row.remote)
  }
  return values
}
