/**
 * Re-records `test/fixtures/frappe-api/*.json` from a real Frappe v15 site, run by hand:
 *
 *   npx tsx test/e2e/record-fixtures.ts --url http://integrations.localhost:8000 --user Administrator --password admin
 *   npx tsx test/e2e/record-fixtures.ts --only integrations_app.api.webhooks.recover_failed   # just that one
 *
 * It logs in, reads the CSRF token from the /integrations shell (which also checks the boot
 * rendering), then makes every call the SPA makes with the args the current fixtures hold (the
 * browser tests fail on any SPA request no fixture matches, so those args are the SPA's).
 * Document names are swapped for real ones from the recorded lists.
 *
 * It ACTS on the site: it sends one test event, replays one delivery and one inbound event,
 * pauses and resumes one Active webhook, asks to recover its failed deliveries of the last hour,
 * and creates then revokes one token of the first Integration Stream with events. Stream
 * connectors (Integration Stream Connector) are recorded if the site has any.
 * Use a development site with at least one Active webhook, a few deliveries (one Failed, one with
 * two or more attempts), an inbound endpoint with one event, and an Integration Stream with a
 * few events.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FIXTURES_DIR, loadFixtures, type FixtureFile, type FixtureResponse } from './standin-server'

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://integrations.localhost:8000' },
    user: { type: 'string', default: 'Administrator' },
    password: { type: 'string', default: 'admin' },
    out: { type: 'string', default: FIXTURES_DIR },
    /** Re-record only these methods (repeatable): the lists are still read for document names, but
     * no other action runs and no other fixture file is written. */
    only: { type: 'string', multiple: true },
  },
})
const wanted = (method: string) => !opts.only?.length || opts.only.includes(method)

type Args = Record<string, unknown>
interface Row {
  name: string
  status?: string
  attempts_count?: number
}

class Site {
  private cookie = ''
  private csrf = ''
  constructor(private readonly base: string) {}

  async login(user: string, password: string): Promise<void> {
    const res = await fetch(`${this.base}/api/method/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ usr: user, pwd: password }),
    })
    if (!res.ok) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`)
    this.cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const shell = await fetch(`${this.base}/integrations`, { headers: { cookie: this.cookie } })
    const html = await shell.text()
    const token = /window\["csrf_token"\] = "([^"]+)";/.exec(html)?.[1]
    if (!shell.ok || !token) throw new Error(`/integrations did not render a csrf_token boot value (HTTP ${shell.status})`)
    this.csrf = token
  }

  /** POST like frappe-ui's frappeRequest; keeps the HTTP status and the JSON body as they are. */
  async call(method: string, args: Args): Promise<FixtureResponse> {
    const res = await fetch(`${this.base}/api/method/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', cookie: this.cookie, 'x-frappe-csrf-token': this.csrf },
      body: Object.keys(args).length ? JSON.stringify(args) : undefined,
    })
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new Error(`${method}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`)
    }
    return { args, status: res.status, body }
  }
}

const message = <T>(reply: FixtureResponse): T => (reply.body as { message: T }).message

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The site needs ${what} to record fixtures.`)
  return value
}

async function main() {
  const site = new Site(opts.url!.replace(/\/$/, ''))
  await site.login(opts.user!, opts.password!)
  const versions = message<Record<string, { version: string }>>(await site.call('frappe.utils.change_log.get_versions', {}))
  const recordedFrom = `frappe ${versions.frappe?.version ?? 'unknown'}`

  const current = await loadFixtures()
  const recorded = new Map<string, FixtureResponse[]>()
  const record = async (method: string, args: Args) => {
    const reply = await site.call(method, args)
    recorded.set(method, [...(recorded.get(method) ?? []), reply])
    console.log(`${reply.status} ${method} ${JSON.stringify(args)}`)
    return reply
  }
  // Streams: the token is created and revoked before the lists are read, so they show it.
  const STREAMS = 'integrations_app.api.streams.'
  if (wanted(STREAMS + 'list_streams') || wanted(STREAMS + 'create_token')) {
    const streams = message<(Row & { last_event_at: string | null })[]>(await site.call(STREAMS + 'list_streams', {}))
    // tokens are made on a stream with events (the page's example); every stream's panels are recorded
    const stream = need(streams.find((s) => s.last_event_at) ?? streams[0], 'an Integration Stream').name
    const created = await record(STREAMS + 'create_token', { stream, label: 'Warehouse dashboard', expires_in_days: 30 })
    const token = need(message<{ name?: string }>(created)?.name, 'create_token to return the token row')
    await record(STREAMS + 'revoke_token', { token })
    await record(STREAMS + 'list_streams', {})
    for (const { name } of streams) {
      for (const method of ['list_tokens', 'tail', 'consumers']) await record(STREAMS + method, { stream: name })
    }
    const connectors = message<Row[]>(await record(STREAMS + 'list_connectors', {}))
    for (const { name } of connectors) await record(STREAMS + 'connector_status', { connector: name })
  }
  const onlyStreams = Boolean(opts.only?.length) && opts.only!.every((m) => m.startsWith(STREAMS))
  if (!onlyStreams) await recordDeliveriesAndInbound(site, current, record)
  await write(recorded, recordedFrom)
}

type Recorder = (method: string, args: Args) => Promise<FixtureResponse>

async function recordDeliveriesAndInbound(site: Site, current: Map<string, FixtureFile>, record: Recorder) {
  const argsOf = (method: string) => need(current.get(method), `a fixture for ${method}`).responses.map((r) => r.args)
  const isNameFilter = (args: Args) => Boolean((args.filters as Args | undefined)?.name)

  // Lists, exactly as the SPA asks for them.
  const lists = new Map<string, Row[]>()
  for (const args of argsOf('frappe.client.get_list').filter((a) => !isNameFilter(a))) {
    const reply = await record('frappe.client.get_list', args)
    const key = `${String(args.doctype)} ${JSON.stringify(args.filters)}`
    lists.set(key, message<Row[]>(reply))
  }
  const deliveries = need(lists.get('Integration Webhook Delivery {}'), 'deliveries')
  const failed = need(lists.get('Integration Webhook Delivery {"status":"Failed"}')?.[0], 'a Failed delivery')
  const retried = deliveries.find((d) => (d.attempts_count ?? 0) >= 2) ?? need(deliveries[0], 'a delivery')
  const webhook = need(lists.get('Integration Webhook {}')?.find((w) => w.status === 'Active'), 'an Active webhook')
  const inboundEvent = need(lists.get('Integration Inbound Event {}')?.[0], 'an inbound event')

  for (const method of ['integrations_app.api.settings.test_sidecar', 'integrations_app.api.dashboard.delivery_overview', 'integrations_app.api.inbound.endpoint_stats']) {
    for (const args of argsOf(method)) await record(method, args)
  }
  for (const delivery of new Set([retried.name, failed.name])) await record('integrations_app.api.dashboard.delivery_detail', { delivery })
  await record('frappe.client.get', { doctype: 'Integration Inbound Event', name: inboundEvent.name })

  // Actions. The test event is a delivery the recorded log does not hold: the realtime fill-in.
  if (wanted('integrations_app.api.webhooks.send_test_event')) {
    const test = await record('integrations_app.api.webhooks.send_test_event', { webhook: webhook.name })
    const fresh = need(message<{ delivery?: string }>(test)?.delivery, 'send_test_event to return a delivery')
    const fillIn = need(argsOf('frappe.client.get_list').find(isNameFilter), 'a fill-in get_list fixture')
    await record('frappe.client.get_list', { ...fillIn, filters: { ...(fillIn.filters as Args), name: ['in', [fresh]] } })
  }
  if (wanted('integrations_app.api.webhooks.replay_delivery')) {
    await record('integrations_app.api.webhooks.replay_delivery', { delivery: retried.name })
    await record('integrations_app.api.webhooks.replay_delivery', { delivery: 'msg_00000000000000000000000000' })
  }
  if (wanted('integrations_app.api.webhooks.set_paused')) {
    await record('integrations_app.api.webhooks.set_paused', { webhook: webhook.name, paused: true })
    await record('integrations_app.api.webhooks.set_paused', { webhook: webhook.name, paused: false })
  }
  // the SPA sends a relative window; the browser test picks "Last hour"
  if (wanted('integrations_app.api.webhooks.recover_failed')) {
    await record('integrations_app.api.webhooks.recover_failed', { webhook: webhook.name, hours: 1 })
  }
  if (wanted('integrations_app.api.inbound.replay_event')) await record('integrations_app.api.inbound.replay_event', { event: inboundEvent.name })
}

async function write(recorded: Map<string, FixtureResponse[]>, recordedFrom: string) {
  for (const [method, responses] of recorded) {
    if (!wanted(method)) continue
    const file: FixtureFile = { recorded_from: recordedFrom, method, responses }
    await writeFile(join(opts.out!, `${method}.json`), `${JSON.stringify(file, null, 2)}\n`)
  }
  console.log(`Wrote ${[...recorded.keys()].filter(wanted).length} fixture files (${recordedFrom}) to ${opts.out}`)
}

main().catch((error: Error) => {
  console.error(error.message)
  process.exit(1)
})
