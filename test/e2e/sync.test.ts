/**
 * The Sync page in Chromium against the stand-in site, whose Sync methods follow the Python code
 * (sync-site.ts) and ask the sidecar over HTTP as `SidecarClient` does. The sidecar here is a
 * recorder on 127.0.0.1 that answers the calls of docs/sync.md §5 in their documented shapes
 * and, for a resolved conflict, writes the Sync Log row back as the engine does
 * (`write_sync_logs`): what is under test is the page, its requests and its realtime handling.
 */
import { createServer, type IncomingMessage } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { listenLocal, type LocalServer } from '../../sidecar/test/local-server'
import { IntegrationsApp } from './app-page'
import { openBrowser, type BrowserSession } from './browser'
import { closeSuite } from './site-parts'
import { startStandin, type Standin } from './standin-server'
import { serveSync, type SyncLogRecord, type SyncSite } from './sync-site'

const SIDECAR_TOKEN = 'e2e-sync-sidecar-token'
const SIDECAR_USER = 'sidecar@integrations.example'
const SIDECAR_KEY = 'sidecar-key:sidecar-secret'
const PROFILE = 'erp-customers'
const ROOM = 'doctype:Integration Sync Profile'

let site: Standin
let sync: SyncSite
let session: BrowserSession
let app: IntegrationsApp
let recorder: LocalServer & { calls: Array<{ method: string; path: string; body: any; authorization?: string }> }
let runCounter = 0

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : undefined
}

/** Answers §5 calls: a queued Run for runs/retry-failed, {run_id} for resync, Synced for resolve. */
async function startRecorder() {
  const calls: Array<{ method: string; path: string; body: any; authorization?: string }> = []
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req)
      const path = req.url ?? ''
      calls.push({ method: req.method ?? '', path, body, authorization: req.headers.authorization })
      const send = (status: number, answer: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(answer))
      }
      const match = /^\/v1\/sync\/profiles\/([^/]+)\/(runs|retry-failed|records\/resync|conflicts\/resolve)$/.exec(path)
      if (!match || req.method !== 'POST') return send(404, { error: { code: 'not_found', message: 'no route' } })
      const profile = decodeURIComponent(match[1]!)
      const run = (kind: string) => ({
        run_id: `run-${++runCounter}`,
        profile_id: profile,
        kind,
        status: 'queued',
        phase: 'pull',
        started_at: new Date().toISOString(),
        finished_at: null,
        stats: { seen: 0, created: 0, linked: 0, updated: 0, deleted: 0, skipped: 0, failed: 0, conflicts: 0 },
        total: null,
        error: null,
      })
      if (match[2] === 'runs') return send(202, run(body.kind))
      if (match[2] === 'retry-failed') return send(202, run('retry_failed'))
      if (match[2] === 'records/resync') return send(202, { queued: true })
      const log = [...sync.logs.values()].find((l) => l.profile === profile && l.local_name === body.local_name)
      if (!log) return send(404, { error: { code: 'sync_record_not_found', message: 'no such record' } })
      if (log.status !== 'Conflict') return send(409, { error: { code: 'conflict_already_resolved', message: 'not in conflict' } })
      if (body.take === 'merge' && body.values?.credit_limit < 0) {
        // a side's validation refused the merged values: the row stays in conflict
        return send(200, { status: 'Failed', local_name: log.local_name, external_id: log.external_id, error: 'validation: Credit Limit cannot be negative' })
      }
      // the engine writes the chosen values to both sides, then the Sync Log row (write_sync_logs)
      Object.assign(log, { status: 'Synced', conflict: null, last_direction: body.take === 'remote' ? 'pull' : 'push', modified: new Date().toISOString() })
      log.history.push({ at: new Date().toISOString(), action: `resolved: ${body.take}`, status: 'Synced' })
      return send(200, { status: 'Synced', local_name: log.local_name, external_id: log.external_id, error: null })
    })()
  })
  return { ...(await listenLocal(server)), calls }
}

function log(fields: Partial<SyncLogRecord> & Pick<SyncLogRecord, 'name' | 'local_name' | 'external_id' | 'status'>): SyncLogRecord {
  return {
    profile: PROFILE,
    local_doctype: 'Customer',
    last_direction: 'pull',
    last_synced_at: '2026-12-01T00:00:00.000Z',
    attempts: 0,
    next_retry_at: null,
    error: null,
    modified: '2026-12-01T00:00:00.000Z',
    conflict: null,
    history: [],
    ...fields,
  }
}

function seed() {
  sync.profiles.set(PROFILE, {
    name: PROFILE,
    enabled: 1,
    local_doctype: 'Customer',
    connection: 'ERP B',
    remote_type: 'Frappe Site',
    remote_doctype: 'Customer',
    list_path: null,
    direction: 'Both',
    mode: 'Real-time',
    schedule_cron: '0 * * * *',
    conflict_strategy: 'Manual',
    match_on: { local_field: 'customer_name', remote_field: 'name' },
    last_run: null,
    sidecar_synced: 1,
    field_map: [
      { local_field: 'customer_name', remote_field: 'customer_name' },
      { local_field: 'territory', remote_field: 'territory' },
      { local_field: 'credit_limit', remote_field: 'credit_limit' },
    ],
  })
  sync.runs.set('RUN-0', {
    name: 'RUN-0',
    run_id: 'run-0',
    profile: PROFILE,
    kind: 'Full',
    status: 'Succeeded',
    phase: 'done',
    started_at: '2026-11-30T23:00:00.000Z',
    finished_at: '2026-11-30T23:00:09.000Z',
    requested_by: 'Administrator',
    seen: 120,
    total: 120,
    created: 100,
    linked: 0,
    updated: 12,
    deleted: 1,
    skipped: 5,
    failed: 1,
    conflicts: 2,
    error: null,
    creation: 1,
  })
  sync.profiles.get(PROFILE)!.last_run = 'RUN-0'
  const detected = '2026-11-30T23:00:05.000Z'
  sync.logs.set(
    'LOG-A',
    log({
      name: 'LOG-A',
      local_name: 'CUST-0001',
      external_id: 'CUST-0001',
      status: 'Conflict',
      modified: '2026-11-30T23:00:05.000Z',
      conflict: {
        detected_at: detected,
        fields: ['territory'],
        local: { customer_name: 'Acme', territory: 'India', credit_limit: 500 },
        remote: { customer_name: 'Acme Ltd', territory: 'Nepal', credit_limit: 500 },
        base: { customer_name: 'Acme', territory: 'Bhutan', credit_limit: 500 },
      },
    }),
  )
  sync.logs.set(
    'LOG-B',
    log({
      name: 'LOG-B',
      local_name: 'CUST-0002',
      external_id: 'CUST-0002',
      status: 'Conflict',
      modified: '2026-11-30T23:00:04.000Z',
      conflict: {
        detected_at: detected,
        fields: ['credit_limit'],
        local: { customer_name: 'Bolt', territory: 'India', credit_limit: 100 },
        remote: { customer_name: 'Bolt', territory: 'India', credit_limit: 250 },
        base: { customer_name: 'Bolt', territory: 'India', credit_limit: 50 },
      },
    }),
  )
  sync.logs.set(
    'LOG-C',
    log({
      name: 'LOG-C',
      local_name: 'CUST-0003',
      external_id: 'CUST-0003',
      status: 'Failed',
      attempts: 2,
      error: 'validation: Customer Name is required',
      modified: '2026-11-30T23:00:03.000Z',
      history: [
        { at: '2026-11-30T22:00:00.000Z', action: 'pull', status: 'Synced', direction: 'pull' },
        { at: '2026-11-30T23:00:03.000Z', action: 'pull', status: 'Failed', detail: 'validation: Customer Name is required' },
      ],
    }),
  )
}

beforeAll(async () => {
  recorder = await startRecorder()
  site = await startStandin()
  sync = serveSync(site, { sidecarUrl: recorder.url, sidecarToken: SIDECAR_TOKEN, managers: [], sidecarUser: SIDECAR_USER })
  site.addApiKey('sidecar-key', 'sidecar-secret', SIDECAR_USER)
  seed()
  session = await openBrowser(site.url)
  app = new IntegrationsApp(session.page, site.url)
})

afterAll(() => closeSuite({ session, site }, recorder))

afterEach(() => {
  expect(site.unmatched.map((r) => `${r.method} ${JSON.stringify(r.args)}`)).toEqual([])
  expect(session.errors).toEqual([])
})

/** What the engine does after a page: report the run to Frappe (report_run), publish it to desk. */
async function engineReports(items: Record<string, unknown>[]) {
  for (const run of items) {
    const response = await fetch(`${site.url}/api/method/integrations_app.api.sync.report_run`, {
      method: 'POST',
      headers: { authorization: `token ${SIDECAR_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ profile_id: run.profile_id, run }),
    })
    expect(response.status).toBe(200)
  }
  site.emitToRoom(ROOM, 'integrations_sync_progress', { items })
}

const runRows = () => app.page.getByTestId('sync-runs').locator('tbody tr')
const cell = (row: ReturnType<typeof runRows>, key: string) => row.locator(`[data-count="${key}"]`)

describe('sync page', () => {
  it('lists profiles with their last run, and the run history with its counts', async () => {
    await app.open('/sync')
    await app.page.getByRole('heading', { level: 1, name: 'Sync' }).waitFor()
    const item = app.page.getByTestId('sync-profile')
    await expect(item.count()).resolves.toBe(1)
    expect(await item.innerText()).toContain(PROFILE)
    expect(await item.innerText()).toContain('2 in conflict')
    await runRows().first().waitFor()
    const first = runRows().first()
    expect(await first.innerText()).toContain('Succeeded')
    expect(await cell(first, 'created').innerText()).toBe('100')
    expect(await cell(first, 'updated').innerText()).toBe('12')
    expect(await cell(first, 'conflicts').innerText()).toBe('2')
    expect(await app.page.getByTestId('sync-match-on').innerText()).toContain('customer_name ↔ name')
    await app.page.waitForFunction(() => document.querySelector('[data-testid="connection-indicator"]')?.getAttribute('data-state') === 'connected')
    await app.screenshot('sync-page')
  })

  it('Run now asks the sidecar for a run and follows its realtime progress to the end', async () => {
    const calls = recorder.calls.length
    await app.page.getByTestId('sync-run-now').click()
    const active = app.page.getByTestId('sync-active-run')
    await active.waitFor()
    const call = recorder.calls[calls]!
    expect(call).toMatchObject({ method: 'POST', path: `/v1/sync/profiles/${PROFILE}/runs`, body: { kind: 'incremental' }, authorization: `Bearer ${SIDECAR_TOKEN}` })
    const runId = `run-${runCounter}`
    const bar = active.getByRole('progressbar')
    expect(await bar.getAttribute('data-percent')).toBe('unknown') // queued, total not known yet

    const item = (status: string, seen: number, extra: Record<string, unknown> = {}) => ({
      run_id: runId,
      profile_id: PROFILE,
      kind: 'incremental',
      status,
      phase: 'pull',
      started_at: new Date().toISOString(),
      finished_at: null,
      stats: { seen, created: 4, linked: 2, updated: 1, deleted: 0, skipped: seen - 7, failed: 0, conflicts: 0 },
      total: 200,
      error: null,
      ...extra,
    })
    await engineReports([item('running', 50)])
    await app.page.waitForFunction(() => document.querySelector('[data-testid="sync-active-run"] [role="progressbar"]')?.getAttribute('data-percent') === '25')
    expect(await active.getByTestId('sync-progress-seen').innerText()).toContain('50 of 200')
    await app.screenshot('sync-progress')

    await engineReports([item('running', 150), item('succeeded', 200, { finished_at: new Date().toISOString(), phase: 'done' })])
    await active.waitFor({ state: 'detached' })
    const newest = runRows().first()
    expect(await newest.innerText()).toContain('Succeeded')
    expect(await cell(newest, 'created').innerText()).toBe('4')
    expect(await cell(newest, 'linked').innerText()).toBe('2')
    expect(await cell(newest, 'skipped').innerText()).toBe('193')
  })

  it('resolves conflicts from the queue: take remote, and an edited merge', async () => {
    await app.page.getByTestId('sync-tab-conflicts').click()
    const rows = app.page.getByTestId('sync-conflicts').locator('tbody tr')
    await rows.first().waitFor()
    await expect(rows.count()).resolves.toBe(2)

    await app.page.locator('[data-testid="sync-conflicts"] tr[data-name="LOG-A"]').click()
    const dialog = app.page.getByTestId('sync-conflict')
    await dialog.getByTestId('sync-diff').waitFor()
    const territory = dialog.locator('tr[data-field="territory"]')
    expect(await territory.getAttribute('data-conflict')).toBe('true')
    expect(await territory.locator('[data-side="local"]').innerText()).toBe('India')
    expect(await territory.locator('[data-side="remote"]').innerText()).toBe('Nepal')
    expect(await dialog.locator('tr[data-field="customer_name"]').getAttribute('data-conflict')).toBe('false')
    // conflicting fields first
    expect(await dialog.locator('tbody tr').first().getAttribute('data-field')).toBe('territory')
    await app.screenshot('sync-conflict')
    const calls = recorder.calls.length
    await dialog.getByTestId('sync-take-remote').click()
    await dialog.waitFor({ state: 'detached' })
    expect(recorder.calls[calls]).toMatchObject({
      path: `/v1/sync/profiles/${PROFILE}/conflicts/resolve`,
      body: { take: 'remote', local_name: 'CUST-0001', external_id: 'CUST-0001' },
    })
    await app.page.waitForFunction(() => document.querySelectorAll('[data-testid="sync-conflicts"] tbody tr').length === 1)

    await app.page.locator('[data-testid="sync-conflicts"] tr[data-name="LOG-B"]').click()
    await dialog.getByTestId('sync-diff').waitFor()
    await dialog.getByTestId('sync-merge').click()
    const input = dialog.locator('[data-testid="merge-credit_limit"] input, input[data-testid="merge-credit_limit"]').first()
    expect(await input.inputValue()).toBe('100') // starts from the local value
    await input.fill('-5')
    await dialog.getByTestId('sync-save-merge').click()
    await dialog.getByText('Credit Limit cannot be negative').waitFor()
    await input.fill('175')
    await dialog.getByTestId('sync-save-merge').click()
    await dialog.waitFor({ state: 'detached' })
    expect(recorder.calls.at(-1)).toMatchObject({ body: { take: 'merge', local_name: 'CUST-0002', values: { credit_limit: 175 } } })
    await app.page.getByText('No conflicts').waitFor()
  })

  it('shows a record timeline from the Sync Log and resyncs the record', async () => {
    await app.page.getByTestId('sync-tab-records').click()
    await app.page.locator('[data-testid="sync-records"] tr[data-name="LOG-C"]').click()
    const timeline = app.page.getByTestId('sync-timeline')
    await timeline.getByTestId('sync-events').waitFor()
    const events = timeline.getByTestId('sync-event')
    await expect(events.count()).resolves.toBe(2)
    expect(await events.first().innerText()).toContain('Failed') // newest first
    expect(await timeline.innerText()).toContain('Customer Name is required')
    const calls = recorder.calls.length
    await timeline.getByTestId('sync-timeline-resync').click()
    await app.page.getByText('The record is being synced again.').waitFor()
    expect(recorder.calls[calls]).toMatchObject({ path: `/v1/sync/profiles/${PROFILE}/records/resync`, body: { local_name: 'CUST-0003', external_id: 'CUST-0003' } })
  })
})
