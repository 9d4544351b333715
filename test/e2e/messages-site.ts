/**
 * The email half of a Frappe site, served live on the stand-in for the Messages browser test.
 * Each method follows its Python original and calls a real sidecar as SidecarClient does:
 * - api/connections.py (the Connections page, site-parts.ts);
 * - api/providers.py test_operation → messaging/tryit.py send_test_email → providers/email.py
 *   send_email (`mail.send`) → messaging/messages.py record_sent;
 * - api/messages.py list_messages and get_message;
 * - api/sidecar.py receive_inbound_events → messaging/messages.py on_inbound_event: a verified
 *   SendGrid event moves its message by rank (messaging/rules/message_status.py) and joins its
 *   timeline.
 * Every change to a message is published as `integrations_message` `{items: [row]}` to
 * `doctype:Integration Message`, as messages.publish does after commit. Times are site-local
 * (the stand-in's System Settings time zone), as Frappe keeps them.
 */
import { randomBytes } from 'node:crypto'
import { callOperation, forbidden, isManager, json, serveConnectionsPage, tryItCall, type SiteConnection } from './site-parts'
import { frappeError, type SiteCall, type Standin } from './standin-server'

type Status = 'Queued' | 'Sent' | 'Delivered' | 'Bounced' | 'Complained' | 'Failed' | 'Undelivered'

export interface MessageRecord {
  name: string
  connection: string
  channel: 'Email' | 'SMS'
  provider: string
  provider_message_id: string
  status: Status
  status_detail: string | null
  recipient: string
  subject: string | null
  sent_at: string
  status_at: string
  reference_doctype: string | null
  reference_name: string | null
  creation: string
  modified: string
  sender: string | null
  events: { event: string; status: Status | null; at: string; detail: string }[]
}

/** message_status.py STATUSES and _RANK */
const RANK: Record<Status, number> = { Queued: 0, Sent: 1, Delivered: 2, Bounced: 3, Failed: 3, Undelivered: 3, Complained: 4 }
/** message_status.py _SENDGRID */
const SENDGRID: Record<string, Status> = { processed: 'Sent', delivered: 'Delivered', bounce: 'Bounced', blocked: 'Bounced', dropped: 'Failed', spamreport: 'Complained' }

/** A Frappe Datetime: `YYYY-MM-DD HH:mm:ss.ffffff`, naive, in the site's time zone. */
export function siteDatetime(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)!.value
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}.${String(date.getMilliseconds()).padStart(3, '0')}000`
}

export interface MessagesSite {
  connections: Map<string, SiteConnection>
  messages: Map<string, MessageRecord>
}

export function serveMessages(site: Standin, options: { sidecarUrl: string; sidecarToken: string; sidecarUser: string }): MessagesSite {
  const connections = new Map<string, SiteConnection>()
  const messages = new Map<string, MessageRecord>()
  const sidecar = { url: options.sidecarUrl, token: options.sidecarToken }
  const now = () => siteDatetime(new Date(), site.boot.time_zone)
  const row = ({ sender: _sender, events: _events, ...listed }: MessageRecord) => listed
  const publish = (m: MessageRecord) => site.emitToRoom('doctype:Integration Message', 'integrations_message', { items: [row(m)] })

  serveConnectionsPage(site, () => [...connections.values()])

  site.serve('integrations_app.api.providers.test_operation', async (call: SiteCall) => {
    const checked = tryItCall(call, connections)
    if ('reply' in checked) return checked.reply
    const { conn, params } = checked
    // providers/email.py test_email: no Email Account on this site, so From must be given
    if (!params.sender) return frappeError(417, 'ValidationError', 'Give a From address (one the provider lets you send from)')
    const subject = `Test email from ${site.boot.site_name}`
    const text = `This test email was sent through the Integration Connection ${conn.name}.`
    let sent: { message_id: string }
    try {
      sent = await callOperation(sidecar, conn, { operation: 'mail.send', params: { from: params.sender, to: [params.to], subject, text, html: `<p>${text}</p>` } })
    } catch (error) {
      return frappeError(417, 'ProviderRejected', (error as Error).message)
    }
    const at = now()
    const m: MessageRecord = {
      name: randomBytes(5).toString('hex'), connection: conn.name, channel: 'Email', provider: 'sendgrid', provider_message_id: sent.message_id,
      status: 'Queued', status_detail: null, recipient: params.to!, subject, sent_at: at, status_at: at, reference_doctype: 'Integration Connection',
      reference_name: conn.name, creation: at, modified: at, sender: params.sender, events: [],
    } // prettier-ignore
    messages.set(m.name, m)
    publish(m)
    return json({ ok: true, area: 'email', summary: `Queued at the provider as ${sent.message_id}`, message: m.name, message_id: sent.message_id })
  })

  site.serve('integrations_app.api.messages.list_messages', async (call) => {
    if (!isManager(call.user)) return forbidden()
    const { status, channel, connection } = call.args as Record<string, string | undefined>
    if (status && !(status in RANK)) return frappeError(417, 'ValidationError', `Unknown status ${status}`)
    if (channel && channel !== 'Email' && channel !== 'SMS') return frappeError(417, 'ValidationError', 'Channel is Email or SMS')
    const rows = [...messages.values()]
      .filter((m) => (!status || m.status === status) && (!channel || m.channel === channel) && (!connection || m.connection === connection))
      .sort((a, b) => b.creation.localeCompare(a.creation))
    return json(rows.slice(0, Math.max(1, Math.min(Number(call.args.limit) || 50, 200))).map(row))
  })

  site.serve('integrations_app.api.messages.get_message', async (call) => {
    if (!isManager(call.user)) return forbidden()
    const m = messages.get(String(call.args.name))
    if (!m) return frappeError(404, 'DoesNotExistError', `Integration Message ${String(call.args.name)} not found`)
    return json({ ...row(m), sender: m.sender, events: m.events.map((e) => ({ ...e })) })
  })

  /** messages.apply_update: the event joins the timeline; the status moves forward only. */
  function applySendgrid(event: Record<string, any>) {
    const id = String(event.sg_message_id ?? '').split('.')[0]
    const m = [...messages.values()].find((x) => x.provider === 'sendgrid' && x.provider_message_id === id)
    if (!m) return
    const status = SENDGRID[event.event] ?? null
    const at = event.timestamp ? siteDatetime(new Date(Number(event.timestamp) * 1000), site.boot.time_zone) : now()
    const detail = ['type', 'status', 'reason'].filter((k) => event[k]).map((k) => String(event[k])).join(' ')
    m.events.push({ event: String(event.event), status, at, detail })
    if (status && RANK[status] > RANK[m.status]) {
      m.status = status
      m.status_at = at
      if (detail) m.status_detail = detail
    }
    m.modified = now()
    publish(m)
  }

  site.serve('integrations_app.api.sidecar.receive_inbound_events', async (call) => {
    if (call.user !== options.sidecarUser) return forbidden()
    const accepted: string[] = []
    for (const e of (call.args.events as Array<Record<string, any>>) ?? []) {
      accepted.push(e.sidecar_id)
      if (e.provider === 'sendgrid') applySendgrid(JSON.parse(e.payload))
    }
    return json({ accepted, duplicates: [], rejected: [] })
  })

  return { connections, messages }
}
