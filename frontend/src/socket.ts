import { io, type Socket } from 'socket.io-client'
import { readonly, ref } from 'vue'

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting'

interface Boot {
  site_name?: string
  socketio_port?: number | string
}

/**
 * URL of Frappe's socket.io namespace for this site (REFERENCE §1.8). A page served on an explicit
 * port (bench on :8000, vite dev) dials `socketio_port` on the same host; behind nginx (no port)
 * `/socket.io` is proxied on the page's own origin.
 */
export function realtimeUrl(location: Pick<Location, 'protocol' | 'hostname' | 'port'>, boot: Boot): string {
  const site = boot.site_name || location.hostname
  const port = location.port ? `:${boot.socketio_port || 9000}` : ''
  return `${location.protocol}//${location.hostname}${port}/${site}`
}

/**
 * The sidecar publishes to these DocTypes' rooms (sidecar/src/frappe/realtime.ts); Frappe lets a
 * socket join one only if the user may read that DocType (`can_subscribe_doctype`).
 */
export const REALTIME_DOCTYPES = [
  'Integration Webhook Delivery',
  'Integration Webhook',
  'Integration Inbound Event',
  'Integration Sync Profile',
  // published by the site itself (integrations_app/payments/ledger.py, messaging/messages.py), not the sidecar
  'Integration Payment',
  'Integration Message',
] as const

const state = ref<ConnectionState>('connecting')
let socket: Socket | null = null

/** The app's single socket.io connection, opened on first use and kept for the page's life. */
export function getSocket(): Socket {
  if (!socket) {
    socket = io(realtimeUrl(window.location, window), {
      withCredentials: true,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
    })
    const s = socket
    s.on('connect', () => {
      state.value = 'connected'
      // Rooms are per connection: subscribe again after every reconnect.
      for (const doctype of REALTIME_DOCTYPES) s.emit('doctype_subscribe', doctype)
    })
    s.on('disconnect', () => (state.value = 'reconnecting'))
    s.on('connect_error', () => (state.value = 'reconnecting'))
  }
  return socket
}

export const connectionState = readonly(state)
