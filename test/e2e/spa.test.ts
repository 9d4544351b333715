/**
 * Browser tests of the built /integrations SPA against the stand-in site (recorded Frappe replies,
 * a real socket.io server). Screenshots of each page land in /tmp/ia-screens/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { IntegrationsApp } from './app-page'
import { openBrowser, type BrowserSession } from './browser'
import { closeSuite } from './site-parts'
import { startStandin, type FixtureResponse, type Standin } from './standin-server'

let site: Standin
let session: BrowserSession
let app: IntegrationsApp

interface DeliveryFixtureRow {
  name: string
  status: string
  webhook: string
  event_type: string
  attempts_count: number | null
}

/** The fixture reply to one get_list call, found by doctype and filters. */
function listReply(doctype: string, filters: Record<string, unknown>): FixtureResponse {
  const reply = site.fixtures
    .get('frappe.client.get_list')
    ?.responses.find((r) => r.args.doctype === doctype && JSON.stringify(r.args.filters) === JSON.stringify(filters))
  if (!reply) throw new Error(`no get_list fixture for ${doctype} ${JSON.stringify(filters)}`)
  return reply
}
const message = <T>(reply: FixtureResponse) => (reply.body as { message: T }).message

function callsOf(method: string) {
  return site.requests.filter((r) => r.method === method)
}

/** The recorded site's zone, and a browser zone far from it (RESULTS.md: browser UTC, site Kolkata). */
const SITE_TZ = 'Asia/Kolkata'
const BROWSER_TZ = 'America/Los_Angeles'

/** `HH:MM` of an instant on a zone's clock. */
function clock(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date)
}

beforeAll(async () => {
  site = await startStandin({ timeZone: SITE_TZ })
  session = await openBrowser(site.url, { timezoneId: BROWSER_TZ })
  app = new IntegrationsApp(session.page, site.url)
})

afterAll(() => closeSuite({ session, site }))

afterEach(() => {
  expect(site.unmatched.map((r) => `${r.method} ${JSON.stringify(r.args)}`)).toEqual([])
})

describe('app shell', () => {
  it('loads with the boot values, a live socket and no console errors', async () => {
    await app.open()
    for (const label of ['Overview', 'Deliveries', 'Webhooks', 'Inbound'] as const) await expect(app.sidebarItem(label).isVisible()).resolves.toBe(true)
    await app.page.waitForFunction(() => document.querySelector('[data-testid="connection-indicator"]')?.getAttribute('data-state') === 'connected')
    expect(await app.connection.textContent()).toContain('Live')
    expect(site.connectedSockets()).toBe(1)
    const bootValues = await app.page.evaluate(() => ['csrf_token', 'site_name', 'user', 'time_zone'].map((key) => (window as unknown as Record<string, unknown>)[key]))
    expect(bootValues).toEqual([site.boot.csrf_token, site.boot.site_name, site.boot.user, SITE_TZ])
    expect(await app.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe(BROWSER_TZ)
    // Client-side navigation keeps the /integrations base.
    await app.navigate('Deliveries')
    expect(new URL(app.page.url()).pathname).toBe('/integrations/deliveries')
    await app.navigate('Overview')
    expect(session.errors).toEqual([])
  })

  it("shows the SPA in the user's language, from the boot's translations", async () => {
    site.boot.lang = 'de'
    site.boot.__messages = {
      Deliveries: 'Zustellungen',
      Refresh: 'Aktualisieren',
      'Delivered / failing now': 'Zugestellt / scheitert gerade',
      '{0} failing in a row': '{0} Fehlschläge in Folge',
    }
    try {
      await app.page.goto(`${site.url}/integrations/webhooks`)
      const table = app.page.getByTestId('webhook-list')
      await table.locator('tbody tr').first().waitFor()
      await expect(app.page.getByRole('button', { name: 'Zustellungen', exact: true }).isVisible()).resolves.toBe(true)
      await expect(app.page.getByRole('button', { name: 'Aktualisieren' }).isVisible()).resolves.toBe(true)
      expect(await table.locator('thead').innerText()).toContain('Zugestellt / scheitert gerade')
      const streak = message<{ consecutive_failures: number }[]>(listReply('Integration Webhook', {})).find((w) => w.consecutive_failures)!
      expect(await table.innerText()).toContain(`${streak.consecutive_failures} Fehlschläge in Folge`)
      await app.screenshot('webhooks-de')
    } finally {
      site.boot.lang = 'en'
      site.boot.__messages = {}
    }
    expect(session.errors).toEqual([])
  })
})

describe('overview', () => {
  it('shows the sidecar status and renders the per-minute chart', async () => {
    await app.open()
    await app.sidecarPanel.getByText('Connected').waitFor()
    const sidecar = message<{ latency_ms: number }>(site.fixtures.get('integrations_app.api.settings.test_sidecar')!.responses[0]!)
    const panel = await app.sidecarPanel.innerText()
    expect(panel).toMatch(new RegExp(`Latency\\s+${sidecar.latency_ms} ms`))
    expect(panel).toMatch(/Redis\s+OK/)
    expect(panel).toMatch(/Uptime\s+\d+[dhms]/)
    await app.chart.locator('svg').waitFor()
    const overview = message<{ buckets: Record<string, number | string>[]; totals: Record<string, number> }>(
      site.fixtures.get('integrations_app.api.dashboard.delivery_overview')!.responses[0]!,
    )
    // echarts' SVG renderer draws each non-empty bar segment as a path.
    const segments = overview.buckets.flatMap((b) => [b.succeeded, b.failed, b.retrying]).filter((v) => Number(v) > 0).length
    const paths = await app.chart.locator('svg path').count()
    expect(paths).toBeGreaterThanOrEqual(segments)
    const total = Object.values(overview.totals).reduce((sum, n) => sum + n, 0)
    expect(await app.page.getByTestId('totals').innerText()).toContain(String(total))
    expect(callsOf('integrations_app.api.dashboard.delivery_overview').at(-1)?.args).toEqual({ minutes: 60 })
    await app.screenshot('overview')
    expect(session.errors).toEqual([])
  })

  it('shows a sidecar error clearly and retries', async () => {
    site.override('integrations_app.api.settings.test_sidecar', () => ({
      status: 200,
      body: { message: { ok: false, status_code: null, latency_ms: null, health: null, error: 'connect ECONNREFUSED 127.0.0.1:8787' } },
    }))
    try {
      await app.open()
      await app.sidecarPanel.getByText('ECONNREFUSED').waitFor()
      expect(await app.sidecarPanel.innerText()).toContain('Unreachable')
      await app.screenshot('overview-sidecar-error')
      const before = callsOf('integrations_app.api.settings.test_sidecar').length
      site.override('integrations_app.api.settings.test_sidecar', null)
      await app.sidecarPanel.getByRole('button', { name: 'Retry' }).click()
      await app.sidecarPanel.getByText('Connected').waitFor()
      expect(callsOf('integrations_app.api.settings.test_sidecar').length).toBe(before + 1)
    } finally {
      site.override('integrations_app.api.settings.test_sidecar', null)
    }
  })
})

describe('deliveries', () => {
  const all = () => message<DeliveryFixtureRow[]>(listReply('Integration Webhook Delivery', {}))
  const failed = () => message<DeliveryFixtureRow[]>(listReply('Integration Webhook Delivery', { status: 'Failed' }))

  it('lists deliveries, and the status filter changes the get_list request', async () => {
    await app.open('/deliveries')
    await app.deliveryRows.first().waitFor()
    expect(await app.deliveryRows.count()).toBe(all().length)
    // the webhook column shows the webhook's title, as desk does, with its id on hover
    const titles = new Map(message<{ name: string; title: string }[]>(listReply('Integration Webhook', {})).map((w) => [w.name, w.title]))
    for (const row of all()) {
      const cell = app.deliveryRow(row.name).locator('td').nth(2)
      await expect.poll(() => cell.innerText()).toBe(titles.get(row.webhook))
      expect(await cell.locator('span').getAttribute('title')).toBe(row.webhook)
    }
    const first = callsOf('frappe.client.get_list').find((r) => r.args.doctype === 'Integration Webhook Delivery')!
    expect(first.args).toEqual(listReply('Integration Webhook Delivery', {}).args)
    await app.screenshot('deliveries')

    const request = app.waitForCall('frappe.client.get_list')
    await app.choose('Status', 'Failed')
    const sent = (await request).postDataJSON() as { filters: unknown; doctype: string }
    expect(sent.doctype).toBe('Integration Webhook Delivery')
    expect(sent.filters).toEqual({ status: 'Failed' })
    await app.page.waitForFunction((n) => document.querySelectorAll('[data-testid="delivery-log"] tbody tr').length === n, failed().length)
    for (const row of failed()) await app.deliveryRow(row.name).waitFor()
    await app.choose('Status', 'All statuses')
    await app.page.waitForFunction((n) => document.querySelectorAll('[data-testid="delivery-log"] tbody tr').length === n, all().length)
    expect(session.errors).toEqual([])
  })

  it('opens a delivery with its attempt timeline and replays it with the CSRF token', async () => {
    const detail = site.fixtures.get('integrations_app.api.dashboard.delivery_detail')!.responses[0]!
    const delivery = String(detail.args.delivery)
    const { attempts, event_type: eventType, payload, webhook, webhook_title: webhookTitle } = message<{
      attempts: { attempt_no: number; status_code: number | null; error: string | null }[]
      event_type: string
      payload: string
      webhook: string
      webhook_title: string
    }>(detail)
    await app.open('/deliveries')
    await app.deliveryRow(delivery).click()
    await app.deliveryDetail.getByTestId('attempt').first().waitFor()
    expect(new URL(app.page.url()).searchParams.get('delivery')).toBe(delivery)
    expect(await app.deliveryDetail.getByTestId('attempt').count()).toBe(attempts.length)
    const timeline = await app.deliveryDetail.getByTestId('attempt-timeline').innerText()
    for (const attempt of attempts) {
      expect(timeline).toContain(`Attempt ${attempt.attempt_no}`)
      expect(timeline).toContain(attempt.status_code ? String(attempt.status_code) : 'No response')
      if (attempt.error) expect(timeline).toContain(attempt.error)
    }
    await app.deliveryDetail.getByTestId('attempt').last().locator('summary').click()
    const shown = await app.deliveryDetail.innerText()
    expect(shown).toContain('webhook-signature')
    // The title is the event type; the payload is the stored `data` (the sidecar adds the {type, timestamp} envelope).
    expect(shown).toContain(eventType)
    const webhookLink = app.deliveryDetail.getByRole('link', { name: webhookTitle })
    expect(await webhookLink.getAttribute('href')).toBe(`/app/integration-webhook/${webhook}`)
    expect(shown).toContain(JSON.stringify(JSON.parse(payload), null, 2).split('\n')[1]!.trim())
    await app.screenshot('delivery-detail')

    const request = app.waitForCall('integrations_app.api.webhooks.replay_delivery')
    await app.deliveryDetail.getByRole('button', { name: 'Replay' }).click()
    const replay = await request
    expect(replay.method()).toBe('POST')
    expect(replay.headers()['x-frappe-csrf-token']).toBe(site.boot.csrf_token)
    expect(replay.postDataJSON()).toEqual({ delivery })
    await app.page.getByText('Replay queued').first().waitFor()
    await app.page.keyboard.press('Escape')
    await app.page.waitForFunction(() => !new URL(location.href).searchParams.has('delivery'))
    expect(session.errors).toEqual([])
  })

  it('patches rows live from integrations_delivery and fills in new ones', async () => {
    await app.open('/deliveries')
    await app.deliveryRows.first().waitFor()
    await app.page.waitForFunction(() => document.querySelector('[data-testid="connection-indicator"]')?.getAttribute('data-state') === 'connected')
    // A newer attempt always applies, whatever the row's status was.
    const target = all()[1]!
    const attemptNo = (target.attempts_count ?? 0) + 1
    site.emit('integrations_delivery', {
      items: [
        {
          message_id: target.name,
          endpoint_id: target.webhook,
          status: 'failed',
          attempt: { n: attemptNo, at: new Date().toISOString(), status_code: 400, duration_ms: 95, error: 'HTTP 400 Bad Request', response_body: '{}', request_headers: {} },
          next_attempt_at: null,
        },
      ],
    })
    const patchedAt = new Date()
    await app.deliveryRow(target.name).getByText('HTTP 400 Bad Request').waitFor()
    expect(await app.deliveryRow(target.name).innerText()).toMatch(new RegExp(`^Failed[\\s\\S]*\\b${attemptNo}\\s+400`))
    // "Updated" of a live-patched row is on the site's clock, like the rows the server sent
    const updated = await app.deliveryUpdated(target.name).innerText()
    const siteClocks = [patchedAt, new Date()].map((d) => clock(d, SITE_TZ))
    expect(siteClocks.some((hhmm) => updated.includes(`, ${hhmm}:`)), `${updated} vs site ${siteClocks}`).toBe(true)
    expect(updated).not.toContain(`, ${clock(patchedAt, BROWSER_TZ)}:`)

    const fillIn = site.fixtures.get('frappe.client.get_list')!.responses.find((r) => (r.args.filters as { name?: unknown }).name)!
    const freshRow = message<DeliveryFixtureRow[]>(fillIn)[0]!
    const freshName = freshRow.name
    const request = app.waitForCall('frappe.client.get_list')
    site.emit('integrations_delivery', {
      items: [
        {
          message_id: freshName,
          endpoint_id: freshRow.webhook,
          status: 'succeeded',
          attempt: { n: 1, at: new Date().toISOString(), status_code: 200, duration_ms: 120, error: null, response_body: 'ok', request_headers: {} },
          next_attempt_at: null,
        },
      ],
    })
    await app.deliveryRow(freshName).waitFor()
    expect(await app.deliveryRows.first().getAttribute('data-name')).toBe(freshName)
    expect((await request).postDataJSON()).toMatchObject({ filters: { name: ['in', [freshName]] } })
    await app.deliveryRow(freshName).getByText(freshRow.event_type).waitFor()
    expect(await app.deliveryRows.count()).toBe(all().length + 1)
    await app.screenshot('deliveries-live')
    expect(session.errors).toEqual([])
  })
})

describe('recover failed', () => {
  it('sends a relative window, never a browser wall-clock time', async () => {
    const fixture = site.fixtures.get('integrations_app.api.webhooks.recover_failed')!.responses[0]!
    const { webhook, hours } = fixture.args as { webhook: string; hours: number }
    const webhooks = message<{ name: string; title: string }[]>(listReply('Integration Webhook', {}))
    const title = webhooks.find((w) => w.name === webhook)?.title ?? webhook
    await app.open('/deliveries')
    await app.page.getByRole('button', { name: 'Recover failed…' }).click()
    await app.recoverForm.waitFor()
    expect(await app.recoverForm.locator('input[type="datetime-local"]').count()).toBe(0)
    await app.choose('Webhook', title)
    await app.choose('Failed in', hours === 1 ? 'Last hour' : `Last ${hours} hours`)
    const request = app.waitForCall('integrations_app.api.webhooks.recover_failed')
    await app.page.getByRole('button', { name: 'Requeue failed' }).click()
    expect((await request).postDataJSON()).toEqual({ webhook, hours })
    const requeued = message<{ requeued: number }>(fixture).requeued
    await app.page.getByText(requeued ? `Requeued ${requeued} failed` : 'No failed deliveries since then').first().waitFor()
    await app.recoverForm.waitFor({ state: 'hidden' })
    expect(session.errors).toEqual([])
  })
})

describe('webhooks', () => {
  it('lists webhooks with health, desk links and pause/test actions', async () => {
    await app.open('/webhooks')
    const table = app.page.getByTestId('webhook-list')
    await table.locator('tbody tr').first().waitFor()
    const webhooks = message<{ name: string; title: string; status: string }[]>(listReply('Integration Webhook', {}))
    expect(await table.locator('tbody tr').count()).toBe(webhooks.length)
    const active = webhooks.find((w) => w.status === 'Active')!
    const row = table.locator(`tr[data-name="${active.name}"]`)
    expect(await row.getByRole('link', { name: active.title }).getAttribute('href')).toBe(`/app/integration-webhook/${active.name}`)
    // failing now: the server's count of deliveries whose latest status is Failed, not every failure ever
    const failingNow = message<Record<string, number>>(site.fixtures.get('integrations_app.api.webhooks.failing_now')!.responses[0]!)
    for (const webhook of webhooks) {
      const cell = table.locator(`tr[data-name="${webhook.name}"]`).getByTestId('failing-now')
      await expect.poll(() => cell.innerText()).toBe(String(failingNow[webhook.name] ?? 0))
    }
    expect(Object.values(failingNow).some((n) => n > 0)).toBe(true)
    await app.screenshot('webhooks')

    const pause = app.waitForCall('integrations_app.api.webhooks.set_paused')
    await row.getByRole('button', { name: 'Pause' }).click()
    expect((await pause).postDataJSON()).toEqual({ webhook: active.name, paused: true })
    await row.getByRole('button', { name: 'Resume' }).waitFor()

    const test = app.waitForCall('integrations_app.api.webhooks.send_test_event')
    await row.getByRole('button', { name: 'Send test' }).click()
    expect((await test).postDataJSON()).toEqual({ webhook: active.name })
    await app.page.getByText('Test event queued').first().waitFor()
    expect(session.errors).toEqual([])
  })
})

describe('inbound', () => {
  it('says how to get a public URL when the site has none yet', async () => {
    site.override('integrations_app.api.inbound.endpoint_stats', () => ({
      status: 200,
      body: { message: [{ name: 'no-url-yet', provider: 'stripe', public_url: null, accepted: 0, rejected: 0, duplicates: 0 }] },
    }))
    try {
      await app.open('/inbound')
      await app.inboundEndpoints.first().getByTestId('public-url-missing').waitFor()
      expect(await app.inboundEndpoints.first().getByTestId('public-url').count()).toBe(0)
      expect(await app.inboundEndpoints.first().getByRole('button', { name: /Copy public URL/ }).count()).toBe(0)
      expect(session.errors).toEqual([])
    } finally {
      site.override('integrations_app.api.inbound.endpoint_stats', null)
    }
  })

  it('shows endpoints with a copyable public URL, and the events log with a payload viewer', async () => {
    await app.open('/inbound')
    await app.inboundEndpoints.first().waitFor()
    const endpoints = message<{ name: string; public_url: string }[]>(site.fixtures.get('integrations_app.api.inbound.endpoint_stats')!.responses[0]!)
    expect(await app.inboundEndpoints.count()).toBe(endpoints.length)
    expect(await app.inboundEndpoints.first().getByTestId('public-url').innerText()).toBe(endpoints[0]!.public_url)
    await app.inboundEndpoints.first().getByRole('button', { name: /Copy public URL/ }).click()
    await app.page.waitForFunction(async (url) => (await navigator.clipboard.readText()) === url, endpoints[0]!.public_url)
    await app.inboundEventRows.first().waitFor()
    await app.screenshot('inbound')

    const event = site.fixtures.get('frappe.client.get')!.responses[0]!
    const doc = message<{ provider_event_id: string; error: string | null }>(event)
    await app.page.locator(`[data-testid="inbound-events"] tr[data-name="${String(event.args.name)}"]`).click()
    const detail = app.page.getByTestId('inbound-event-detail')
    await detail.getByText('Payload').waitFor()
    const shown = await detail.innerText()
    expect(shown).toContain(doc.provider_event_id)
    if (doc.error) expect(shown).toContain(doc.error)
    await app.screenshot('inbound-event')
    const replay = app.waitForCall('integrations_app.api.inbound.replay_event')
    await detail.getByRole('button', { name: 'Replay' }).click()
    expect((await replay).postDataJSON()).toEqual({ event: event.args.name })
    await app.page.getByText('Event queued').first().waitFor()
    expect(session.errors).toEqual([])
  })
})

describe('streams', () => {
  const STREAMS = 'integrations_app.api.streams.'
  const reply = (method: string) => site.fixtures.get(STREAMS + method)!.responses[0]!
  /** The recorded reply of a per-stream method for that stream. */
  const replyFor = (method: string, stream: string) => {
    const found = site.fixtures.get(STREAMS + method)!.responses.find((r) => r.args.stream === stream)
    if (!found) throw new Error(`no ${method} fixture for stream ${stream}`)
    return found
  }
  interface StreamFixture {
    name: string
    title: string
    live_tokens: number
  }
  interface TailFixture {
    name: string
    event_type: string
    reference_doctype: string
    reference_name: string
    created_at: string
    acked: 0 | 1
    payload: unknown
  }
  interface TokenFixture {
    name: string
    label: string
    last4: string
    state: string
    token?: string
  }

  it('lists streams and tails the open one live, with its consumers and their lag', async () => {
    const streams = message<StreamFixture[]>(reply('list_streams'))
    const withEvents = site.fixtures.get(STREAMS + 'tail')!.responses.find((r) => message<TailFixture[]>(r).length)!
    const stream = String(withEvents.args.stream)
    const tail = message<TailFixture[]>(withEvents)
    await app.open('/streams')
    await app.streamItems.first().waitFor()
    expect(await app.streamItems.count()).toBe(streams.length)
    // the first stream opens by itself, and is in the address for a reload
    await app.page.waitForURL((url) => url.searchParams.get('stream') === streams[0]!.name)
    if (streams[0]!.name !== stream) {
      await app.page.getByTestId('tail-empty').waitFor()
      await app.streamItems.filter({ hasText: stream }).click()
      await app.page.waitForURL((url) => url.searchParams.get('stream') === stream)
    }
    await app.tailRows.first().waitFor()
    expect(await app.tailRows.count()).toBe(tail.length)
    const first = tail[0]!
    const row = app.page.locator(`[data-testid="tail"] tr[data-name="${first.name}"]`)
    expect(await row.innerText()).toContain(first.event_type)
    expect(await row.innerText()).toContain(first.reference_name)
    await row.click()
    const payload = app.page.getByTestId('tail-payload')
    await payload.waitFor()
    expect(await payload.innerText()).toContain(JSON.stringify(JSON.parse(JSON.stringify(first.payload)), null, 2).split('\n')[1]!.trim())

    // consumers: what the recorded site's sidecar said, or why it could not say
    const consumers = message<{ available: boolean; reason?: string }>(replyFor('consumers', stream))
    if (consumers.available) await app.page.getByTestId('consumers').waitFor()
    else expect(await app.page.getByTestId('consumers-unavailable').innerText()).toContain(consumers.reason!)

    // live: the next poll's new event is on top, without a reload
    const fresh = { ...first, name: 'msg_ZZZZZZZZZZZZZZZZZZZZZZZZZZ', created_at: new Date().toISOString(), acked: 0, status: 'Queued', reference_name: 'LIVE-0001' }
    site.override(STREAMS + 'tail', () => ({ status: 200, body: { message: [fresh, ...tail] } }))
    site.override(STREAMS + 'consumers', () => ({
      status: 200,
      body: { message: { available: true, clients: [{ transport: 'sse', connected_at: '2026-11-30T10:00:00Z', last_event_id: '1764496800000-0', lag: 7 }] } },
    }))
    try {
      await app.page.locator(`[data-testid="tail"] tr[data-name="${fresh.name}"]`).waitFor()
      expect(await app.tailRows.first().getAttribute('data-name')).toBe(fresh.name)
      expect(await app.tailRows.first().innerText()).toContain('Handing off')
      const consumerRow = app.page.getByTestId('consumers').locator('tbody tr').first()
      await consumerRow.waitFor()
      expect(await consumerRow.innerText()).toMatch(/SSE[\s\S]*1764496800000-0[\s\S]*7/)
      await app.screenshot('streams')
      // paused: no more tail calls
      await app.page.getByTestId('tail-toggle').click()
      const before = callsOf(STREAMS + 'tail').length
      await app.page.waitForTimeout(2500)
      expect(callsOf(STREAMS + 'tail').length).toBe(before)
    } finally {
      site.override(STREAMS + 'tail', null)
      site.override(STREAMS + 'consumers', null)
    }
    expect(session.errors).toEqual([])
  })

  it("says when the open stream's last event was as soon as its live tail shows one (not \"no events yet\" beside it)", async () => {
    const streams = message<(StreamFixture & { last_event_at: string | null })[]>(reply('list_streams'))
    const quiet = streams.find((s) => !s.last_event_at && !message<TailFixture[]>(replyFor('tail', s.name)).length)
    if (!quiet) throw new Error('the recorded site has no stream without events')
    await app.open(`/streams?stream=${encodeURIComponent(quiet.name)}`)
    await app.page.getByTestId('tail-empty').waitFor()
    const item = app.streamItems.filter({ hasText: quiet.title })
    expect(await item.innerText()).toContain('no events yet')

    // a document matching the stream is saved: the next poll of the tail has its outbox row
    const todos = message<TailFixture[]>(site.fixtures.get(STREAMS + 'tail')!.responses.find((r) => message<TailFixture[]>(r).length)!)
    const fresh = { ...todos[0]!, name: 'msg_QUIET0000000000000000000001', created_at: new Date().toISOString(), acked: 0, status: 'Queued' }
    site.override(STREAMS + 'tail', (args) => (args.stream === quiet.name ? { status: 200, body: { message: [fresh] } } : replyFor('tail', String(args.stream))))
    try {
      const row = app.page.locator(`[data-testid="tail"] tr[data-name="${fresh.name}"]`)
      await row.waitFor()
      const at = (await row.locator('td').first().innerText()).trim()
      await expect.poll(() => item.innerText()).toContain(at)
      expect(await item.innerText()).not.toContain('no events yet')
    } finally {
      site.override(STREAMS + 'tail', null)
    }
    expect(session.errors).toEqual([])
  })

  it('shows a new token once with a copy button, lists tokens by label and last four, and revokes', async () => {
    const createdReply = reply('create_token')
    const created = message<TokenFixture>(createdReply)
    const { stream, label, expires_in_days } = createdReply.args as { stream: string; label: string; expires_in_days: number }
    const tokens = message<TokenFixture[]>(replyFor('list_tokens', stream))
    await app.open(`/streams?stream=${encodeURIComponent(stream)}`)
    await app.tokenRows.first().waitFor()
    expect(await app.tokenRows.count()).toBe(tokens.length)
    for (const token of tokens) {
      const shown = await app.page.locator(`[data-testid="tokens"] tr[data-name="${token.name}"]`).innerText()
      expect(shown).toContain(token.label)
      expect(shown).toContain(`…${token.last4}`)
      expect(shown).toContain(token.state)
    }

    await app.page.getByRole('textbox', { name: 'Label' }).fill(label)
    await app.choose('Expiry', `Expires in ${expires_in_days} days`)
    const create = app.waitForCall(STREAMS + 'create_token')
    await app.page.getByTestId('create-token').click()
    expect((await create).postDataJSON()).toEqual({ stream, label, expires_in_days })
    const dialog = app.page.getByTestId('token-created')
    await dialog.waitFor()
    expect(await dialog.getByTestId('new-token').innerText()).toBe(created.token)
    await dialog.getByRole('button', { name: 'Copy token' }).click()
    await app.page.waitForFunction(async (token) => (await navigator.clipboard.readText()) === token, created.token!)
    await app.screenshot('streams-token-created')
    await app.page.getByRole('button', { name: 'Done' }).click()
    await dialog.waitFor({ state: 'detached' })
    expect(await app.page.content()).not.toContain(created.token!)

    // revoke: the recorded site keeps one Active token; the reply is revoke_token's recorded shape
    const active = tokens.find((t) => t.state === 'Active')
    expect(active, 'the recorded site has an Active token').toBeDefined()
    const revoked = message<TokenFixture>(reply('revoke_token'))
    expect(revoked.state).toBe('Revoked')
    site.override(STREAMS + 'revoke_token', (args) => ({ status: 200, body: { message: { ...revoked, name: String(args.token) } } }))
    try {
      const revoke = app.waitForCall(STREAMS + 'revoke_token')
      const reload = app.waitForCall(STREAMS + 'list_tokens')
      await app.page.locator(`[data-testid="tokens"] tr[data-name="${active!.name}"]`).getByTestId('revoke').click()
      expect((await revoke).postDataJSON()).toEqual({ token: active!.name })
      await reload
    } finally {
      site.override(STREAMS + 'revoke_token', null)
    }
    expect(session.errors).toEqual([])
  })

  it('lists inbound stream connectors and shows the open one\'s status and reconnect history', async () => {
    // No recorded site has connectors yet: the two answers are the shapes docs/api.md gives.
    const connector = {
      name: 'acme-orders', title: 'Acme order feed', transport: 'SSE', source_url: 'https://events.acme.test/orders',
      inbound_endpoint: 'acme', connection: 'Acme API', enabled: 1, sidecar_synced: 1,
    }
    const status = {
      state: 'backoff', holder: 'host-a-4242-abc123', state_since: '2026-11-30T10:05:00Z', connected_at: '2026-11-30T10:00:00Z',
      last_event_id: 'evt_118', last_event_at: '2026-11-30T10:04:59Z', forwarded: 118, duplicates: 3, skipped: 1, attempt: 2,
      last_error: 'connect failed: connect ECONNREFUSED', last_error_at: '2026-11-30T10:05:00Z',
    }
    const history = [
      { at: '2026-11-30T10:05:00Z', reason: 'connect failed: connect ECONNREFUSED', attempt: 2, holder: 'host-a-4242-abc123' },
      { at: '2026-11-30T10:04:59Z', reason: 'connection lost: other side closed', attempt: 1, holder: 'host-a-4242-abc123' },
    ]
    site.override(STREAMS + 'list_connectors', () => ({ status: 200, body: { message: [connector] } }))
    site.override(STREAMS + 'connector_status', (args) => ({
      status: 200, body: { message: args.connector === connector.name ? { available: true, status, history } : { available: false, reason: 'unknown' } },
    }))
    try {
      await app.open('/streams')
      const item = app.page.getByTestId('connectors').getByTestId('connector')
      await item.first().waitFor()
      expect(await item.innerText()).toContain('Acme order feed')
      const asked = app.waitForCall(STREAMS + 'connector_status')
      await item.first().click()
      await app.page.waitForURL((url) => url.searchParams.get('connector') === connector.name && !url.searchParams.has('stream'))
      expect((await asked).postDataJSON()).toEqual({ connector: connector.name })
      const detail = app.page.getByTestId('connector-status')
      await detail.waitFor()
      expect(await detail.innerText()).toMatch(/Reconnecting[\s\S]*host-a-4242-abc123[\s\S]*118[\s\S]*3[\s\S]*evt_118[\s\S]*ECONNREFUSED/)
      const rows = app.page.getByTestId('reconnects').locator('tbody tr')
      expect(await rows.count()).toBe(2)
      expect(await rows.first().innerText()).toMatch(/ECONNREFUSED[\s\S]*2/)
      expect(await rows.nth(1).innerText()).toContain('other side closed')
      await app.screenshot('streams-connector')
      // picking a stream again closes the connector
      await app.streamItems.first().click()
      await app.page.waitForURL((url) => url.searchParams.has('stream') && !url.searchParams.has('connector'))
      await app.page.getByTestId('stream-detail').waitFor()
    } finally {
      site.override(STREAMS + 'list_connectors', null)
      site.override(STREAMS + 'connector_status', null)
    }
    expect(session.errors).toEqual([])
  })
})
