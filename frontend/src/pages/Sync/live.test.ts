import { describe, expect, it } from 'vitest'
import type { SyncConflict, SyncProfileRow, SyncRun, SyncRunEvent } from '../../types/api'
import { applyProgress, applyRunHistory, initialMerge, mergeValues, parseEdited, runFromEvent, runProgress, settledBefore } from './live'

const stats = (seen: number, extra: Partial<SyncRunEvent['stats']> = {}) => ({ seen, created: 0, linked: 0, updated: 0, deleted: 0, skipped: 0, failed: 0, conflicts: 0, ...extra })
const event = (run_id: string, status: SyncRunEvent['status'], seen: number, extra: Partial<SyncRunEvent> = {}): SyncRunEvent => ({
  run_id,
  profile_id: 'customers',
  kind: 'incremental',
  status,
  phase: 'pull',
  started_at: '2026-12-01T00:00:00Z',
  finished_at: null,
  stats: stats(seen),
  total: 200,
  error: null,
  ...extra,
})
const profile = (extra: Partial<SyncProfileRow> = {}): SyncProfileRow => ({
  name: 'customers',
  enabled: 1,
  local_doctype: 'Customer',
  connection: 'ERP B',
  remote_type: 'Frappe Site',
  remote: 'Customer',
  direction: 'Both',
  mode: 'Batch',
  schedule_cron: null,
  conflict_strategy: 'Manual',
  match_on: null,
  last_run_status: null,
  last_run_at: null,
  last_run_summary: null,
  sidecar_synced: 1,
  last_run: null,
  active_run: null,
  failed: 0,
  conflicts: 0,
  ...extra,
})

describe('sync run progress', () => {
  it('maps a published run to the desk shape, with its progress', () => {
    const run = runFromEvent(event('r1', 'running', 50, { stats: stats(50, { created: 3, conflicts: 1 }) }))
    expect(run).toMatchObject({ run_id: 'r1', profile: 'customers', kind: 'Incremental', status: 'Running', seen: 50, created: 3, conflicts: 1, total: 200, progress: 0.25 })
    expect(runFromEvent(event('r1', 'running', 50, { total: null })).progress).toBeNull()
    expect(runProgress({ status: 'Failed', seen: 3, total: 200 })).toBe(1)
  })

  it('shows a running run as the active one and moves it to the last run when it ends', () => {
    let rows = [profile(), profile({ name: 'items' })]
    rows = applyProgress(rows, [event('r1', 'queued', 0), event('r1', 'running', 100)])
    expect(rows[0]!.active_run).toMatchObject({ run_id: 'r1', status: 'Running', seen: 100, progress: 0.5 })
    expect(rows[1]!.active_run).toBeNull()

    rows = applyProgress(rows, [event('r1', 'succeeded', 200, { finished_at: '2026-12-01T00:01:00Z', stats: stats(200, { updated: 7 }) })])
    expect(rows[0]!.active_run).toBeNull()
    expect(rows[0]!.last_run).toMatchObject({ run_id: 'r1', status: 'Succeeded', updated: 7, progress: 1 })
    expect(rows[0]!.last_run_status).toBe('Succeeded')
  })

  it('never reopens a finished run for a progress report that arrives after its end', () => {
    const done = applyProgress([profile()], [event('r1', 'running', 10), event('r1', 'failed', 20, { error: 'remote down' }), event('r1', 'running', 15)])
    expect(done[0]!.active_run).toBeNull()
    expect(done[0]!.last_run).toMatchObject({ status: 'Failed', error: 'remote down' })
    const later = applyProgress(done, [event('r1', 'running', 15)])
    expect(later).toBe(done)
  })

  it('returns the same array when no item is for a listed profile', () => {
    const rows = [profile()]
    expect(applyProgress(rows, [{ ...event('r9', 'running', 1), profile_id: 'other' }])).toBe(rows)
  })

  it('upserts the run history of the selected profile, newest first, capped', () => {
    const known: SyncRun = { ...runFromEvent(event('r0', 'succeeded', 5)), name: 'ROW-0', requested_by: 'ann@example.com' }
    let history = applyRunHistory([known], [event('r1', 'running', 1)], 'customers', 2)
    expect(history.map((r) => r.run_id)).toEqual(['r1', 'r0'])
    history = applyRunHistory(history, [event('r2', 'running', 1)], 'customers', 2)
    expect(history.map((r) => r.run_id)).toEqual(['r2', 'r1'])
    history = applyRunHistory([known], [event('r0', 'succeeded', 9)], 'customers', 5)
    expect(history[0]).toMatchObject({ name: 'ROW-0', requested_by: 'ann@example.com', seen: 9 })
    expect(applyRunHistory([known], [event('r5', 'running', 1)], 'items', 5)).toEqual([known])
  })
})

describe('conflict merge', () => {
  const conflict: SyncConflict = {
    name: 'LOG-1',
    profile: 'customers',
    local_doctype: 'Customer',
    local_name: 'CUST-1',
    external_id: '42',
    status: 'Conflict',
    detected_at: '2026-12-01T00:00:00Z',
    fields: ['credit_limit', 'territory', 'is_frozen'],
    rows: [
      { field: 'credit_limit', remote_field: 'credit', base: 10, local: 20, remote: 30, conflict: true, changed_local: true, changed_remote: true },
      { field: 'territory', remote_field: 'region', base: 'A', local: 'B', remote: null, conflict: true, changed_local: true, changed_remote: true },
      { field: 'is_frozen', remote_field: 'frozen', base: false, local: true, remote: false, conflict: true, changed_local: true, changed_remote: false },
      { field: 'customer_name', remote_field: 'name', base: 'Acme', local: 'Acme', remote: 'Acme Ltd', conflict: false, changed_local: false, changed_remote: true },
    ],
  }

  it('starts from the local values of the conflicting fields only', () => {
    expect(initialMerge(conflict)).toEqual({ credit_limit: '20', territory: 'B', is_frozen: 'true' })
  })

  it('sends every conflicting field typed like its sides', () => {
    expect(mergeValues(conflict, { credit_limit: ' 25 ', territory: '', is_frozen: 'false' })).toEqual({ credit_limit: 25, territory: null, is_frozen: false })
    expect(parseEdited('abc', 20, 30)).toBe('abc')
    expect(parseEdited('', 'x', 'y')).toBe('')
    expect(parseEdited('7', '1', '2')).toBe('7')
  })
})

describe('settledBefore', () => {
  it('tells a conflict settled before the choice arrived from any other refusal', () => {
    expect(settledBefore({ exc_type: 'ConflictAlreadyResolved' })).toBe(true)
    expect(settledBefore({ exc_type: 'SyncRecordNotFound' })).toBe(false)
    expect(settledBefore({ exc_type: 'ValidationError' })).toBe(false)
    expect(settledBefore(null)).toBe(false)
  })
})
