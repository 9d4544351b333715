/**
 * Messages end to end in Chromium: a SendGrid connection's "Try it" sends a test email through a
 * real sidecar process and a SendGrid stand-in (test/providers), the Messages log lists it, and
 * SendGrid's signed event webhook (ECDSA P-256, as SendGrid signs it) arriving at the sidecar's
 * inbound endpoint moves its status on the open page and in its timeline, live.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { copyFileSync, mkdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderServer } from '../../sidecar/test/providers/server'
import { startSendgrid, type SendgridState } from '../../sidecar/test/providers/sendgrid'
import type { SidecarProcess } from '../../sidecar/test/sidecar-process'
import { IntegrationsApp } from './app-page'
import { openBrowser, SCREENSHOT_DIR, type BrowserSession } from './browser'
import { serveMessages, siteDatetime, type MessagesSite } from './messages-site'
import { closeSuite, startSiteSidecar } from './site-parts'
import { startStandin, type Standin } from './standin-server'

const SIDECAR_TOKEN = 'e2e-msg-sidecar-token-0123456789'
const SIDECAR_USER = 'sidecar@integrations.example'
const SENDGRID_KEY = 'SG.e2e-messages-key'
/** Where the report's screenshots go (the suite's own stay in SCREENSHOT_DIR). */
const NOTES_DIR = '/work/notes'

let site: Standin
let sendgrid: ProviderServer<SendgridState>
let sidecar: SidecarProcess
let msgSite: MessagesSite
let session: BrowserSession
let app: IntegrationsApp
let signingKey: KeyObject

beforeAll(async () => {
  site = await startStandin()
  sendgrid = await startSendgrid(SENDGRID_KEY)
  sidecar = await startSiteSidecar(site, { label: 'e2e-msg', token: SIDECAR_TOKEN, user: SIDECAR_USER })
  msgSite = serveMessages(site, { sidecarUrl: sidecar.url, sidecarToken: SIDECAR_TOKEN, sidecarUser: SIDECAR_USER })
  const put = (path: string, body: unknown) =>
    fetch(`${sidecar.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${SIDECAR_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect((await put('/v1/connections/sendgrid-mail', { base_url: sendgrid.url, auth: { type: 'bearer', token: SENDGRID_KEY }, provider: 'sendgrid' })).status).toBe(200)
  msgSite.connections.set('SendGrid Mail', { name: 'SendGrid Mail', sidecar_id: 'sendgrid-mail', base_url: 'https://api.sendgrid.com', sandbox: false, api_provider: 'SendGrid', area: 'email' })
  // SendGrid signs its Event Webhook with a P-256 key whose public half Mail Settings shows
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  signingKey = privateKey
  const verificationKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
  expect((await put('/v1/inbound-endpoints/sendgrid-events', { provider: 'sendgrid', secret: verificationKey })).status).toBe(200)
  session = await openBrowser(site.url)
  app = new IntegrationsApp(session.page, site.url)
})

afterAll(() => closeSuite({ session, sidecar, site }, sendgrid))

/** SendGrid's Event Webhook post: a JSON array of events, signed over timestamp + body. */
async function postEvents(events: Record<string, unknown>[], tamper = false): Promise<Response> {
  const body = JSON.stringify(events)
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = sign('sha256', Buffer.from(timestamp + body), { key: signingKey, dsaEncoding: 'der' }).toString('base64')
  return fetch(`${sidecar.url}/v1/inbound/sendgrid-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp },
    body: tamper ? body.replace('delivered', 'bounce') : body,
  })
}

const log = () => app.page.getByTestId('messages-log')
const detail = () => app.page.getByTestId('message-detail')
const listCalls = () => site.requests.filter((r) => r.method === 'integrations_app.api.messages.list_messages')


describe('messages in Chromium', () => {
  it('is in the sidebar; with no message yet it points to Connections → Try it', async () => {
    await app.page.goto(`${site.url}/integrations/connections`)
    await app.connectionCard('SendGrid Mail').waitFor()
    await app.navigate('Messages')
    const empty = app.page.getByText('No messages yet')
    await empty.waitFor()
    expect(await app.page.getByText(/Connections → an email or SMS connection → Try it → Send test email/).count()).toBe(1)
    expect(listCalls().at(-1)!.args).toEqual({ limit: 100 })
    await app.page.getByTestId('messages-empty-connections').click()
    await app.page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor()
    expect(session.errors).toEqual([])
  })

  it('Try it → Send test email reaches SendGrid and shows in Messages; signed delivery events move it live', async () => {
    const tryIt = app.tryIt('SendGrid Mail')
    await app.fillTryIt(tryIt, 'to', 'ana@example.org')
    await app.fillTryIt(tryIt, 'sender', 'billing@example.com')
    await tryIt.getByRole('button', { name: 'Send test email' }).click()
    await expect.poll(() => tryIt.getByTestId('try-it-result').innerText().catch(() => '')).toMatch(/^Queued at the provider as \S+/)
    expect(sendgrid.state.sent).toHaveLength(1)
    const [sent] = sendgrid.state.sent
    expect(sent!.body.personalizations[0].to).toEqual([{ email: 'ana@example.org' }])
    expect(sent!.body.from).toEqual({ email: 'billing@example.com' })
    const message = [...msgSite.messages.values()][0]!
    expect(message.provider_message_id).toBe(sent!.id)

    // "See it in Messages" opens the log with the message's detail
    await tryIt.getByRole('link', { name: 'See it in Messages' }).click()
    await expect.poll(() => new URL(app.page.url()).pathname).toBe('/integrations/messages')
    await expect.poll(() => detail().getByTestId('message-detail-status').innerText()).toBe('Queued')
    expect(await detail().getByTestId('message-event-label').allInnerTexts()).toEqual(['Accepted by SendGrid'])
    await app.page.keyboard.press('Escape')
    await detail().waitFor({ state: 'detached' })
    await app.page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor()
    expect(new URL(app.page.url()).searchParams.get('message')).toBeNull()

    const row = log().locator(`tr[data-name="${message.name}"]`)
    expect(await row.getByTestId('message-status').innerText()).toBe('Queued')
    expect(await row.getByTestId('message-recipient').innerText()).toBe('ana@example.org')
    expect(await row.innerText()).toContain(sent!.id)
    expect(await row.innerText()).toContain('Test email from integrations.localhost')

    // SendGrid reports processed, then delivered (one signed post), through the sidecar's durable forwarder
    const t = Math.floor(Date.now() / 1000)
    const sgId = `${sent!.id}.filter0001.1.0`
    const forged = await postEvents([{ sg_message_id: sgId, event: 'delivered', sg_event_id: 'ev-forged', timestamp: t }], true)
    expect(forged.status).toBe(401)
    const res = await postEvents([
      { sg_message_id: sgId, event: 'processed', sg_event_id: 'ev-1', timestamp: t - 2, email: 'ana@example.org' },
      { sg_message_id: sgId, event: 'delivered', sg_event_id: 'ev-2', timestamp: t - 1, email: 'ana@example.org', response: '250 OK' },
    ])
    expect(res.status).toBe(200)
    // slower on a loaded CI machine: the event rides the forwarder to the site first
    await expect.poll(() => row.getByTestId('message-status').innerText(), { timeout: 30_000 }).toBe('Delivered')
    mkdirSync(NOTES_DIR, { recursive: true })
    await app.screenshot('messages-log')
    copyFileSync(`${SCREENSHOT_DIR}/messages-log.png`, `${NOTES_DIR}/messages-page.png`)

    // the detail shows the timeline with the provider's times, in the site's time zone
    await row.click()
    await expect.poll(() => detail().getByTestId('message-detail-status').innerText()).toBe('Delivered')
    expect(await detail().getByTestId('message-event-label').allInnerTexts()).toEqual(['Accepted by SendGrid', 'processed', 'delivered'])
    const at = siteDatetime(new Date((t - 1) * 1000), site.boot.time_zone).slice(11, 19)
    expect(await detail().getByTestId('message-event-at').nth(2).innerText()).toContain(at)

    // a later bounce arrives while the detail is open: status and timeline follow
    expect((await postEvents([{ sg_message_id: sgId, event: 'bounce', sg_event_id: 'ev-3', timestamp: t, type: 'bounce', reason: '550 5.1.1 mailbox gone' }])).status).toBe(200)
    await expect.poll(() => detail().getByTestId('message-detail-status').innerText(), { timeout: 30_000 }).toBe('Bounced')
    expect(await detail().getByTestId('message-event-label').allInnerTexts()).toEqual(['Accepted by SendGrid', 'processed', 'delivered', 'bounce'])
    expect(await detail().innerText()).toContain('bounce 550 5.1.1 mailbox gone')
    await app.screenshot('messages-detail')
    copyFileSync(`${SCREENSHOT_DIR}/messages-detail.png`, `${NOTES_DIR}/messages-detail.png`)
    expect(await row.getByTestId('message-status').innerText()).toBe('Bounced')
    await app.page.keyboard.press('Escape')
    await detail().waitFor({ state: 'detached' })
    expect(session.errors).toEqual([])
  })

  it('filters by status and channel on the server, and the URL keeps them', async () => {
    const message = [...msgSite.messages.values()][0]!
    await app.choose('Status', 'Delivered')
    await app.page.getByText('No messages match these filters').waitFor()
    expect(listCalls().at(-1)!.args).toEqual({ status: 'Delivered', limit: 100 })
    await app.choose('Status', 'Bounced')
    await log().locator(`tr[data-name="${message.name}"]`).waitFor()
    await app.choose('Channel', 'SMS')
    await app.page.getByText('No messages match these filters').waitFor()
    expect(listCalls().at(-1)!.args).toEqual({ status: 'Bounced', channel: 'SMS', limit: 100 })
    expect(Object.fromEntries(new URL(app.page.url()).searchParams)).toEqual({ status: 'Bounced', channel: 'SMS' })
    await app.page.reload()
    await app.page.getByText('No messages match these filters').waitFor()
    expect(listCalls().at(-1)!.args).toEqual({ status: 'Bounced', channel: 'SMS', limit: 100 })
    expect(session.errors).toEqual([])
  })
})
