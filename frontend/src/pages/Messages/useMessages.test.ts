/// <reference types="node" />
/**
 * The Messages log's logic against a real HTTP server answering like the site
 * (`list_messages`, `list_connections`): which filters reach the server, and how realtime
 * `integrations_message` rows change the log. The socket is the one fake: its `on` hands the
 * test the page's listener, as a socket.io server would call it.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { frappeRequest, setConfig } from 'frappe-ui'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import type { MessageRow } from '../../types/api'
import { useMessages } from './useMessages'

const listeners = vi.hoisted(() => new Map<string, (message: unknown) => void>())
vi.mock('socket.io-client', () => ({
  io: () => ({ on: (event: string, fn: (message: unknown) => void) => listeners.set(event, fn), off: () => undefined, emit: () => undefined }),
}))

const row = (name: string, over: Partial<MessageRow>): MessageRow => ({
  name, connection: 'SendGrid', channel: 'Email', provider: 'sendgrid', provider_message_id: `id-${name}`, status: 'Queued',
  status_detail: null, recipient: 'ana@example.org', subject: 'Hi', sent_at: '2026-12-01 10:00:00', status_at: '2026-12-01 10:00:00',
  reference_doctype: null, reference_name: null, creation: '2026-12-01 10:00:00', modified: '2026-12-01 10:00:00', ...over,
}) // prettier-ignore

let server: Server
const listCalls: Record<string, unknown>[] = []
let stored: MessageRow[] = []
/** While set, list answers wait for it (a slow site). */
let gate: Promise<void> | null = null

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const args = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {}
    let message: unknown = []
    if (req.url === '/api/method/integrations_app.api.messages.list_messages') {
      listCalls.push(args)
      const answer = stored.filter((m) => ['status', 'channel', 'connection'].every((k) => !args[k] || m[k as keyof MessageRow] === args[k]))
      if (gate) await gate
      message = answer
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message }))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  // happy-dom's own API: the page's origin is the server's, so `/api/method/…` reaches it
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/integrations/messages`)
  setConfig('resourceFetcher', frappeRequest)
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((ok) => server.close(() => ok()))
})

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
})

async function mountPage() {
  let state!: ReturnType<typeof useMessages>
  const Page = defineComponent({
    setup() {
      state = useMessages()
      return () => h('div')
    },
  })
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/messages', component: Page }] })
  await router.push('/messages')
  await router.isReady()
  mounted.push(mount(defineComponent({ render: () => h(RouterView) }), { global: { plugins: [router] } }))
  await vi.waitFor(() => expect(state).toBeDefined())
  return { state, router }
}

const statuses = (rows: MessageRow[]) => rows.map((r) => [r.name, r.status])
const publish = (items: MessageRow[]) => listeners.get('integrations_message')!({ items })

describe('useMessages', () => {
  it('sends the filters in the URL to list_messages and shows what it answers', async () => {
    stored = [row('m2', { channel: 'SMS', provider: 'twilio', connection: 'Twilio', status: 'Delivered', subject: null }), row('m1', {})]
    const { state, router } = await mountPage()
    await vi.waitFor(() => expect(statuses(state.rows.value)).toEqual([['m2', 'Delivered'], ['m1', 'Queued']]))
    expect(listCalls.at(-1)).toEqual({ limit: 100 })

    await state.setStatus('Queued')
    await vi.waitFor(() => expect(statuses(state.rows.value)).toEqual([['m1', 'Queued']]))
    expect(listCalls.at(-1)).toEqual({ status: 'Queued', limit: 100 })
    await state.setChannel('SMS')
    await state.setConnection('Twilio')
    await vi.waitFor(() => expect(listCalls.at(-1)).toEqual({ status: 'Queued', channel: 'SMS', connection: 'Twilio', limit: 100 }))
    expect(router.currentRoute.value.query).toEqual({ status: 'Queued', channel: 'SMS', connection: 'Twilio' })
    await vi.waitFor(() => expect(state.rows.value).toEqual([]))

    // a value the server would refuse never leaves the URL
    await router.replace({ query: { status: 'Opened', channel: 'Fax' } })
    await vi.waitFor(() => expect(listCalls.at(-1)).toEqual({ limit: 100 }))
  })

  it('a realtime row changes the status of its row; an older one arriving late does not undo it', async () => {
    stored = [row('m1', {})]
    const { state } = await mountPage()
    await vi.waitFor(() => expect(statuses(state.rows.value)).toEqual([['m1', 'Queued']]))
    publish([row('m1', { status: 'Delivered', modified: '2026-12-01 10:00:05.200000' })])
    expect(statuses(state.rows.value)).toEqual([['m1', 'Delivered']])
    publish([row('m1', { status: 'Sent', modified: '2026-12-01 10:00:05.100000' })])
    expect(statuses(state.rows.value)).toEqual([['m1', 'Delivered']])
    publish([row('m3', { status: 'Queued', modified: '2026-12-01 10:01:00' })])
    expect(statuses(state.rows.value)).toEqual([['m3', 'Queued'], ['m1', 'Delivered']])
  })

  it('under a filter, a row whose new status leaves it goes, and rows of other channels never come', async () => {
    stored = [row('m1', {})]
    const { state } = await mountPage()
    await state.setStatus('Queued')
    await vi.waitFor(() => expect(listCalls.at(-1)).toEqual({ status: 'Queued', limit: 100 }))
    await vi.waitFor(() => expect(statuses(state.rows.value)).toEqual([['m1', 'Queued']]))
    publish([row('m1', { status: 'Bounced', modified: '2026-12-01 10:00:06' }), row('m4', { status: 'Queued', channel: 'SMS', modified: '2026-12-01 10:00:06' })])
    expect(statuses(state.rows.value)).toEqual([['m4', 'Queued']])
  })

  it('a change published while the log is being fetched is not lost to the older answer', async () => {
    stored = [row('m1', {})]
    let release!: () => void
    gate = new Promise<void>((ok) => (release = ok))
    const before = listCalls.length
    const { state } = await mountPage()
    await vi.waitFor(() => expect(listCalls).toHaveLength(before + 1))
    await state.setChannel('Email')
    await vi.waitFor(() => expect(listCalls).toHaveLength(before + 2))
    // the site answers with the row as it was read; the change committed after that read
    publish([row('m1', { status: 'Delivered', modified: '2026-12-01 10:00:07' })])
    release()
    gate = null
    await flushPromises()
    await vi.waitFor(() => expect(statuses(state.rows.value)).toEqual([['m1', 'Delivered']]))
    // and it stays so once both answers are in
    await new Promise((ok) => setTimeout(ok, 100))
    expect(statuses(state.rows.value)).toEqual([['m1', 'Delivered']])
  })
})
