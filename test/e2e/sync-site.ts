/**
 * The Sync half of a Frappe site, served live on the stand-in for the Sync page's browser test.
 * Each method follows its Python original (integrations_app/api/sync.py, sync/desk.py,
 * sync/rules/conflicts.py, sync/rules/runs.py) and asks the sidecar the way
 * `SidecarClient` does (same paths and bodies, docs/sync.md §5): run now, retry failed, resync a
 * record, resolve a conflict. Records are plain objects here instead of DocType rows; run rows
 * are written from the sidecar's answer, as `desk._keep_run` does, and from `report_run`.
 */
import type { SyncProfileRow, SyncRun } from '../../frontend/src/types/api'
import { frappeError, type MethodReply, type SiteCall, type Standin } from './standin-server'

/** A run row: the desk API's `SyncRun` (the SPA's own type) as stored, with its creation order. */
export interface SyncRunRecord extends Omit<SyncRun, 'progress' | 'already_running'> {
  creation: number
}

export interface SyncProfileRecord {
  name: string
  enabled: 0 | 1
  local_doctype: string
  connection: string
  remote_type: 'Frappe Site' | 'Generic REST'
  remote_doctype: string | null
  list_path: string | null
  direction: 'Push' | 'Pull' | 'Both'
  mode: 'Real-time' | 'Batch' | 'Scheduled'
  schedule_cron: string | null
  conflict_strategy: string
  match_on: SyncProfileRow['match_on']
  last_run: string | null
  sidecar_synced: 0 | 1
  field_map: Array<{ local_field: string; remote_field: string }>
}

export interface SyncLogRecord {
  name: string
  profile: string
  local_doctype: string
  local_name: string | null
  external_id: string | null
  status: 'Synced' | 'Failed' | 'Conflict' | 'Skipped' | 'Deleted'
  last_direction: 'push' | 'pull' | 'none'
  last_synced_at: string | null
  attempts: number
  next_retry_at: string | null
  error: string | null
  modified: string
  conflict: { detected_at: string; fields: string[]; local: Record<string, unknown>; remote: Record<string, unknown>; base: Record<string, unknown> | null } | null
  history: Array<Record<string, string>>
}

export interface SyncSite {
  profiles: Map<string, SyncProfileRecord>
  runs: Map<string, SyncRunRecord>
  logs: Map<string, SyncLogRecord>
  /** Every request this site made to the sidecar: method, path and body. */
  sidecarCalls: Array<{ method: string; path: string; body: unknown }>
}

const API = 'integrations_app.api.sync.'
const KINDS: Record<string, SyncRun['kind']> = { incremental: 'Incremental', full: 'Full', retry_failed: 'Retry Failed', changes: 'Changes', record: 'Record' }
const STATUSES: Record<string, SyncRun['status']> = { queued: 'Queued', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', cancelled: 'Cancelled' }
const FINAL = new Set<string>(['Succeeded', 'Failed', 'Cancelled'])
const COUNTS = ['seen', 'created', 'linked', 'updated', 'deleted', 'skipped', 'failed', 'conflicts'] as const

export function serveSync(site: Standin, options: { sidecarUrl: string; sidecarToken: string; managers: string[]; sidecarUser: string }): SyncSite {
  const profiles = new Map<string, SyncProfileRecord>()
  const runs = new Map<string, SyncRunRecord>()
  const logs = new Map<string, SyncLogRecord>()
  const sidecarCalls: SyncSite['sidecarCalls'] = []
  let counter = 0

  const json = (message: unknown): MethodReply => ({ status: 200, body: { message } })
  const thrown = (message: string) => frappeError(417, 'ValidationError', message)
  const isManager = (user: string) => user === 'Administrator' || options.managers.includes(user)

  async function sidecar(method: string, path: string, body?: unknown): Promise<any> {
    sidecarCalls.push({ method, path, body })
    const response = await fetch(options.sidecarUrl + path, {
      method,
      headers: { authorization: `Bearer ${options.sidecarToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const answer: any = await response.json().catch(() => ({}))
    if (!response.ok) {
      const error = new Error(`Sidecar answered ${response.status} to ${method} ${path}: ${answer?.error?.message ?? response.statusText}`) as Error & { code?: string }
      error.code = answer?.error?.code
      throw error
    }
    return answer
  }

  /** sync/desk.py _sidecar_error: each refusal the sidecar tells apart, as its own exception. */
  function refusal(error: unknown, profile: string, record?: { local_name?: unknown; external_id?: unknown }): MethodReply {
    const code = (error as Error & { code?: string }).code
    if (code === 'profile_disabled') return thrown('The profile is disabled: enable it first')
    if (code === 'sync_profile_not_found') return frappeError(404, 'SyncProfileNotFound', `The sidecar does not know sync profile ${profile}, even after it was sent again: check its Sidecar Synced flag and the sidecar's log`)
    if (code === 'sync_record_not_found') {
      const what = [record?.local_name && `local ${String(record.local_name)}`, record?.external_id && `remote ${String(record.external_id)}`].filter(Boolean).join(' / ')
      return frappeError(404, 'SyncRecordNotFound', `No record ${what} in this profile: it has no Sync Log row and neither side holds it`)
    }
    if (code === 'conflict_already_resolved') return alreadyResolved('no longer in conflict')
    return thrown((error as Error).message)
  }
  const alreadyResolved = (status: string) => frappeError(409, 'ConflictAlreadyResolved', `This conflict was already resolved: the record is ${status} now. Reload the queue.`)

  /** sync/rules/runs.py progress */
  const progress = (run: SyncRunRecord) => (FINAL.has(run.status) ? 1 : run.total ? Math.min(1, run.seen / run.total) : null)
  const runView = (run: SyncRunRecord) => {
    const { creation: _creation, ...view } = run
    return { ...view, progress: progress(run) }
  }

  /** sync/runs.py record_run */
  function recordRun(profile: string, raw: any, requestedBy: string | null): SyncRunRecord {
    const existing = [...runs.values()].find((r) => r.run_id === raw.run_id)
    const values = {
      kind: KINDS[raw.kind]!,
      status: STATUSES[raw.status]!,
      phase: raw.phase ?? null,
      error: raw.error ?? null,
      total: raw.total ?? 0,
      ...Object.fromEntries(COUNTS.map((k) => [k, raw.stats?.[k] ?? 0])),
    } as Partial<SyncRunRecord>
    if (raw.started_at) values.started_at = raw.started_at
    if (raw.finished_at) values.finished_at = raw.finished_at
    let run: SyncRunRecord
    if (existing) {
      if (FINAL.has(existing.status) && !FINAL.has(values.status!)) delete values.status
      run = Object.assign(existing, values)
    } else {
      run = {
        name: `RUN-${++counter}`,
        run_id: raw.run_id,
        profile,
        requested_by: requestedBy,
        creation: Date.now() + counter,
        ...(values as Omit<SyncRunRecord, 'name' | 'run_id' | 'profile' | 'requested_by' | 'creation' | 'started_at' | 'finished_at'>),
        started_at: values.started_at ?? null,
        finished_at: values.finished_at ?? null,
      }
      runs.set(run.name, run)
    }
    profiles.get(profile)!.last_run = run.name
    return run
  }

  function guard(call: SiteCall, profile?: unknown): MethodReply | SyncProfileRecord | null {
    if (!isManager(call.user)) return frappeError(403, 'PermissionError', 'Only a System Manager or an Integration Manager may do this')
    if (profile === undefined) return null
    const found = typeof profile === 'string' ? profiles.get(profile) : undefined
    return found ?? frappeError(404, 'SyncProfileNotFound', `Sync profile ${String(profile)} does not exist (deleted, or never saved)`)
  }
  const isReply = (value: unknown): value is MethodReply => Boolean(value && typeof value === 'object' && 'status' in value && 'body' in value)
  const page = (args: Record<string, unknown>) => [Number(args.start ?? 0), Number(args.limit ?? 50)] as const
  const logRow = (log: SyncLogRecord) => {
    const { conflict: _c, history: _h, ...row } = log
    return row
  }

  site.serve(API + 'list_profiles', async (call) => {
    const denied = guard(call)
    if (denied) return denied as MethodReply
    const out = [...profiles.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => {
        const mine = [...runs.values()].filter((r) => r.profile === p.name).sort((a, b) => b.creation - a.creation)
        const last = p.last_run ? runs.get(p.last_run) : undefined
        const active = mine.find((r) => r.status === 'Queued' || r.status === 'Running')
        const count = (status: string) => [...logs.values()].filter((l) => l.profile === p.name && l.status === status).length
        const { field_map: _f, ...row } = p
        return {
          ...row,
          remote: p.remote_type === 'Frappe Site' ? p.remote_doctype : p.list_path,
          last_run_status: last?.status ?? null,
          last_run_at: last?.started_at ?? null,
          last_run_summary: null,
          last_run: last ? runView(last) : null,
          active_run: active ? runView(active) : null,
          failed: count('Failed'),
          conflicts: count('Conflict'),
        }
      })
    return json(out)
  })

  site.serve(API + 'list_runs', async (call) => {
    const profile = guard(call, call.args.profile)
    if (isReply(profile)) return profile
    const rows = [...runs.values()].filter((r) => r.profile === call.args.profile).sort((a, b) => b.creation - a.creation)
    return json(rows.slice(0, Number(call.args.limit ?? 20)).map(runView))
  })

  async function startRun(call: SiteCall, path: string, body: unknown): Promise<MethodReply> {
    if (call.httpMethod !== 'POST') return frappeError(403, 'PermissionError', 'Not permitted')
    const profile = guard(call, call.args.profile)
    if (isReply(profile)) return profile
    let answer: any
    try {
      answer = await sidecar('POST', `/v1/sync/profiles/${encodeURIComponent(profile!.name)}${path}`, body)
    } catch (error) {
      return refusal(error, profile!.name)
    }
    const run = recordRun(profile!.name, answer, call.user)
    return json({ ...runView(run), already_running: Boolean(answer.already_running) })
  }

  site.serve(API + 'run_now', (call) => {
    const kind = call.args.kind ?? 'incremental'
    if (kind !== 'incremental' && kind !== 'full') return Promise.resolve(thrown('Kind must be incremental or full'))
    return startRun(call, '/runs', { kind })
  })
  site.serve(API + 'retry_failed', (call) => startRun(call, '/retry-failed', {}))

  site.serve(API + 'resync_record', async (call) => {
    if (call.httpMethod !== 'POST') return frappeError(403, 'PermissionError', 'Not permitted')
    const profile = guard(call, call.args.profile)
    if (isReply(profile)) return profile
    const body = Object.fromEntries((['local_name', 'external_id'] as const).filter((k) => call.args[k]).map((k) => [k, call.args[k]]))
    if (!Object.keys(body).length) return thrown('Name the record: its local name or its external id')
    try {
      return json(await sidecar('POST', `/v1/sync/profiles/${encodeURIComponent(profile!.name)}/records/resync`, body))
    } catch (error) {
      return refusal(error, profile!.name, body)
    }
  })

  site.serve(API + 'list_conflicts', async (call) => {
    const profile = guard(call, call.args.profile)
    if (isReply(profile)) return profile
    const [start, limit] = page(call.args)
    const rows = [...logs.values()]
      .filter((l) => l.profile === call.args.profile && l.status === 'Conflict')
      .sort((a, b) => b.modified.localeCompare(a.modified))
      .slice(start, start + limit)
      .map((l) => ({ ...logRow(l), fields: l.conflict?.fields ?? [], detected_at: l.conflict?.detected_at ?? null }))
    return json(rows)
  })

  site.serve(API + 'list_records', async (call) => {
    const profile = guard(call, call.args.profile)
    if (isReply(profile)) return profile
    const [start, limit] = page(call.args)
    const search = typeof call.args.search === 'string' ? call.args.search : ''
    const rows = [...logs.values()]
      .filter((l) => l.profile === call.args.profile && (!call.args.status || l.status === call.args.status))
      .filter((l) => !search || (l.local_name ?? '').includes(search) || (l.external_id ?? '').includes(search))
      .sort((a, b) => b.modified.localeCompare(a.modified))
      .slice(start, start + limit)
      .map(logRow)
    return json(rows)
  })

  function findLog(call: SiteCall): SyncLogRecord | MethodReply {
    const denied = guard(call)
    if (denied) return denied as MethodReply
    return logs.get(String(call.args.log)) ?? frappeError(404, 'SyncRecordNotFound', `Sync Log row ${String(call.args.log)} does not exist (the profile was deleted, or the row purged)`)
  }

  /** sync/rules/conflicts.py side_by_side */
  function sideBySide(log: SyncLogRecord) {
    const conflict: NonNullable<SyncLogRecord['conflict']> = log.conflict ?? { fields: [], local: {}, remote: {}, base: null, detected_at: '' }
    const base: Record<string, unknown> = conflict.base ?? {}
    const map = profiles.get(log.profile)!.field_map
    const remoteNames = new Map(map.map((r) => [r.local_field, r.remote_field]))
    const order = [...map.map((r) => r.local_field), ...Object.keys({ ...conflict.local, ...conflict.remote }).filter((f) => !remoteNames.has(f))]
    const rows = order
      .filter((name) => name in conflict.local || name in conflict.remote)
      .map((name) => {
        const local = conflict.local[name] ?? null
        const remote = conflict.remote[name] ?? null
        const known = conflict.base !== null && name in base
        return {
          field: name,
          remote_field: remoteNames.get(name) ?? name,
          base: base[name] ?? null,
          local,
          remote,
          conflict: conflict.fields.includes(name),
          changed_local: !known || JSON.stringify(local) !== JSON.stringify(base[name]),
          changed_remote: !known || JSON.stringify(remote) !== JSON.stringify(base[name]),
        }
      })
    return [...rows.filter((r) => r.conflict), ...rows.filter((r) => !r.conflict)]
  }

  site.serve(API + 'get_conflict', async (call) => {
    const log = findLog(call)
    if (isReply(log)) return log
    return json({
      name: log.name,
      profile: log.profile,
      local_doctype: log.local_doctype,
      local_name: log.local_name,
      external_id: log.external_id,
      status: log.status,
      detected_at: log.conflict?.detected_at ?? null,
      fields: log.conflict?.fields ?? [],
      rows: sideBySide(log),
    })
  })

  site.serve(API + 'resolve_conflict', async (call) => {
    if (call.httpMethod !== 'POST') return frappeError(403, 'PermissionError', 'Not permitted')
    const log = findLog(call)
    if (isReply(log)) return log
    if (log.status !== 'Conflict') return alreadyResolved(log.status)
    const take = call.args.take
    if (take !== 'local' && take !== 'remote' && take !== 'merge') return thrown('take must be one of local, remote, merge')
    const body: Record<string, unknown> = { take }
    if (log.local_name) body.local_name = log.local_name
    if (log.external_id) body.external_id = log.external_id
    if (take === 'merge') {
      const values = (typeof call.args.values === 'string' ? JSON.parse(call.args.values) : call.args.values) as Record<string, unknown> | undefined
      const missing = (log.conflict?.fields ?? []).filter((f) => !values || !(f in values))
      if (missing.length) return thrown(`a merge gives a value to every field in conflict; missing: ${missing.join(', ')}`)
      body.values = values
    }
    try {
      return json(await sidecar('POST', `/v1/sync/profiles/${encodeURIComponent(log.profile)}/conflicts/resolve`, body))
    } catch (error) {
      return refusal(error, log.profile, body)
    }
  })

  site.serve(API + 'record_timeline', async (call) => {
    const log = findLog(call)
    if (isReply(log)) return log
    return json({ ...logRow(log), events: [...log.history].reverse() })
  })

  /** api/sync.py report_run: the engine's progress, from the Sidecar API User only. */
  site.serve(API + 'report_run', async (call) => {
    if (call.user !== options.sidecarUser) return frappeError(403, 'PermissionError', 'Only the Sidecar API User named in Integration Settings may call this')
    if (!profiles.has(String(call.args.profile_id))) return frappeError(404, 'DoesNotExistError', `No Integration Sync Profile ${String(call.args.profile_id)}`)
    recordRun(String(call.args.profile_id), call.args.run, null)
    return json({ ok: true })
  })

  return { profiles, runs, logs, sidecarCalls }
}
