/**
 * A stand-in for a Frappe v15 site serving the built SPA the way Frappe does, for browser tests:
 * - `/integrations`, `/integrations/*` → `www/integrations.html` with the jinjaBootData loop
 *   rendered from `boot` (what `www/integrations.py` puts in `context.boot`), plus a `sid` cookie;
 * - `/assets/integrations_app/frontend/*` → files from `integrations_app/public/frontend`;
 * - `/api/method/<method>` → recorded replies from `test/fixtures/frappe-api/<method>.json`, chosen
 *   by the request's args; POSTs must carry the boot CSRF token like Frappe's cookie sessions;
 * - a socket.io server on namespace `/<site_name>` that, like Frappe's, wants a cookie.
 * Methods can also be served live (`serve`), for flows that fixtures cannot replay: those see
 * the caller as Frappe would (a session cookie, an API token, or Guest) and may answer with
 * JSON, a redirect, or a message page as `frappe.respond_as_web_page` renders one.
 */
import { readFile, readdir } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { extname, join, normalize, resolve } from 'node:path'
import { Server as SocketServer } from 'socket.io'
import { REALTIME_ROOMS, type RealtimeEvent } from '../../sidecar/src/frappe/realtime'
import { listenLocal } from '../../sidecar/test/local-server'

const ROOT = resolve(import.meta.dirname, '../..')
export const FIXTURES_DIR = join(ROOT, 'test/fixtures/frappe-api')
const ASSETS_DIR = join(ROOT, 'integrations_app/public/frontend')
const SHELL_HTML = join(ROOT, 'integrations_app/www/integrations.html')
const ASSETS_PREFIX = '/assets/integrations_app/frontend/'

export interface FixtureResponse {
  args: Record<string, unknown>
  status: number
  body: unknown
}

export interface FixtureFile {
  recorded_from: string
  method: string
  responses: FixtureResponse[]
}

export interface ApiRequest {
  method: string
  httpMethod: string
  args: Record<string, unknown>
  headers: IncomingMessage['headers']
}

export interface Boot {
  csrf_token: string
  site_name: string
  socketio_port: number
  user: string
  /** System Settings time zone (the recorded site's: Asia/Kolkata). */
  time_zone: string
  /** The user's language and its translations (`get_all_translations(lang)`; English: none). */
  lang: string
  __messages: Record<string, string>
}

/** Replaces a fixture reply for a method (e.g. to show an error state). */
export type Override = (args: Record<string, unknown>) => { status: number; body: unknown }

/** A live method call: who is calling, as Frappe resolves it. */
export interface SiteCall extends ApiRequest {
  /** The session's user, the API key's user, or `Guest`. */
  user: string
}
/** `response.type` json, redirect (`frappe.local.response.location`) or page (`respond_as_web_page`). */
export type MethodReply = { status: number; body: unknown } | { redirect: string } | { page: { title: string; message: string; status: number } }
export type MethodHandler = (call: SiteCall) => Promise<MethodReply>

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
}

/** Sorted-key JSON, so `{a,b}` and `{b,a}` are the same args. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `{${entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

/** What `frappe.respond_as_web_page(title, message)` shows: Frappe's message page, reduced. */
function messagePage(title: string, message: string): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return `<!doctype html><html><head><title>${escape(title)}</title></head><body><div class="page-card"><h4 class="page-card-head">${escape(title)}</h4><div class="page-card-body"><p>${escape(message)}</p></div></div></body></html>`
}

export async function loadFixtures(dir = FIXTURES_DIR): Promise<Map<string, FixtureFile>> {
  const fixtures = new Map<string, FixtureFile>()
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.json')) continue
    const fixture = JSON.parse(await readFile(join(dir, file), 'utf8')) as FixtureFile
    fixtures.set(file.slice(0, -'.json'.length), fixture)
  }
  return fixtures
}

/** Jinja's `tojson`: JSON with `<`, `>`, `&`, `'` escaped for a `<script>`. */
function tojson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/'/g, '\\u0027')
}

/** What Frappe's Jinja does with the loop that frappe-ui's jinjaBootData puts in the shell. */
export function renderBoot(html: string, boot: Record<string, unknown>): string {
  const loop = /\{%\s*for key in boot\s*%\}[\s\S]*?\{%\s*endfor\s*%\}/
  if (!loop.test(html)) throw new Error('integrations.html has no jinjaBootData loop: was it built in production mode?')
  const lines = Object.entries(boot).map(([key, value]) => `window["${key}"] = ${tojson(value)};`)
  return html.replace(loop, lines.join('\n'))
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Request args the way Frappe reads `frappe.form_dict`: query string, then JSON or form body. */
async function readArgs(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = Object.fromEntries(url.searchParams)
  const body = await readBody(req)
  if (!body) return args
  if ((req.headers['content-type'] ?? '').includes('application/json')) return { ...args, ...(JSON.parse(body) as Record<string, unknown>) }
  return { ...args, ...Object.fromEntries(new URLSearchParams(body)) }
}

export function frappeError(status: number, excType: string, message: string) {
  return {
    status,
    body: {
      exc_type: excType,
      exception: `frappe.exceptions.${excType}: ${message}`,
      _server_messages: JSON.stringify([JSON.stringify({ message, title: 'Message', indicator: 'red', raise_exception: 1 })]),
    },
  }
}

export interface Standin {
  url: string
  boot: Boot
  fixtures: Map<string, FixtureFile>
  /** Every `/api/method` call, in order. */
  requests: ApiRequest[]
  /** Calls no fixture answered (a test should end with none). */
  unmatched: ApiRequest[]
  override(method: string, reply: Override | null): void
  /** Serve a method live (before overrides and fixtures); null stops. */
  serve(method: string, handler: MethodHandler | null): void
  /** A browser session for `user`: the `sid` cookie value to give a browser context. */
  addSession(user: string): string
  /** An API key pair (`Authorization: token key:secret`) that acts as `user`. */
  addApiKey(key: string, secret: string, user: string): void
  /** Emit a realtime event to the site's namespace, as Frappe's socket.io server would. */
  emit(event: RealtimeEvent, message: unknown): void
  /** Emit an event to a named room (`doctype:<DocType>`): for events whose room the caller names. */
  emitToRoom(room: string, event: string, message: unknown): void
  connectedSockets(): number
  close(): Promise<void>
}

export async function startStandin(options: { siteName?: string; timeZone?: string } = {}): Promise<Standin> {
  const fixtures = await loadFixtures()
  const shell = await readFile(SHELL_HTML, 'utf8')
  const requests: ApiRequest[] = []
  const unmatched: ApiRequest[] = []
  const overrides = new Map<string, Override>()
  const handlers = new Map<string, MethodHandler>()
  const sid = 'standin-session'
  const sessions = new Map<string, string>()
  const apiKeys = new Map<string, string>()
  const boot: Boot = {
    csrf_token: 'standin-csrf-7d3f9a',
    site_name: options.siteName ?? 'integrations.localhost',
    socketio_port: 0,
    user: 'Administrator',
    time_zone: options.timeZone ?? 'Asia/Kolkata',
    lang: 'en',
    __messages: {},
  }

  const sessionOf = (req: IncomingMessage): string | undefined => /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  /** Who Frappe takes the caller for: API token first, then the session cookie. */
  function userOf(req: IncomingMessage): string {
    const token = /^token (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (token) return apiKeys.get(token) ?? 'Guest'
    const session = sessionOf(req)
    return (session && sessions.get(session)) ?? 'Guest'
  }

  function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', ...headers })
    res.end(body)
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL) {
    const method = decodeURIComponent(url.pathname.slice('/api/method/'.length))
    const call: ApiRequest = { method, httpMethod: req.method ?? 'GET', args: await readArgs(req, url), headers: req.headers }
    requests.push(call)
    let reply: { status: number; body: unknown }
    const override = overrides.get(method)
    const handler = handlers.get(method)
    // Frappe checks the CSRF token of cookie sessions only; API tokens carry none.
    const tokenAuth = (req.headers.authorization ?? '').startsWith('token ')
    if (req.method !== 'GET' && !tokenAuth && req.headers['x-frappe-csrf-token'] !== boot.csrf_token) {
      reply = frappeError(400, 'CSRFTokenError', 'Invalid Request')
    } else if (handler) {
      const answer = await handler({ ...call, user: userOf(req) })
      if ('redirect' in answer) return send(res, 302, 'text/plain', '', { location: answer.redirect })
      if ('page' in answer) return send(res, answer.page.status, 'text/html; charset=utf-8', messagePage(answer.page.title, answer.page.message))
      reply = answer
    } else if (override) {
      reply = override(call.args)
    } else {
      const key = canonical(call.args)
      const found = fixtures.get(method)?.responses.find((r) => canonical(r.args) === key)
      if (found) {
        reply = found
      } else {
        unmatched.push(call)
        reply = frappeError(500, 'StandinNoFixture', `No fixture for ${method} with args ${key}`)
      }
    }
    send(res, reply.status, 'application/json', JSON.stringify(reply.body))
  }

  async function asset(res: ServerResponse, pathname: string) {
    const relative = normalize(decodeURIComponent(pathname.slice(ASSETS_PREFIX.length)))
    if (relative.startsWith('..')) return send(res, 403, 'text/plain', 'Forbidden')
    try {
      const file = await readFile(join(ASSETS_DIR, relative))
      send(res, 200, TYPES[extname(relative)] ?? 'application/octet-stream', file)
    } catch {
      send(res, 404, 'text/plain', 'Not Found')
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin')
    const { pathname } = url
    const handle = async () => {
      if (pathname.startsWith('/api/method/')) return api(req, res, url)
      if (pathname.startsWith(ASSETS_PREFIX)) return asset(res, pathname)
      if (pathname === '/integrations' || pathname.startsWith('/integrations/')) {
        // A browser that already holds a session stays that user; any other gets the boot user's.
        const session = sessionOf(req)
        const user = session && session !== sid ? sessions.get(session) : undefined
        if (user) return send(res, 200, 'text/html; charset=utf-8', renderBoot(shell, { ...boot, user }))
        return send(res, 200, 'text/html; charset=utf-8', renderBoot(shell, { ...boot }), { 'set-cookie': `sid=${sid}; Path=/; HttpOnly; SameSite=Lax` })
      }
      send(res, 404, 'text/plain', 'Not Found')
    }
    handle().catch((error: Error) => send(res, 500, 'text/plain', error.stack ?? error.message))
  })

  const io = new SocketServer(server, { cors: { origin: true, credentials: true } })
  const namespace = io.of(`/${boot.site_name}`)
  namespace.use((socket, next) => {
    const session = /(?:^|;\s*)sid=([^;]+)/.exec(socket.handshake.headers.cookie ?? '')?.[1]
    next(session && sessions.has(session) ? undefined : new Error('No cookie transmitted.'))
  })
  namespace.on('connection', (socket) => {
    // Like Frappe: System Users sit in `all`; DocType rooms are joined on `doctype_subscribe`.
    void socket.join('all')
    socket.on('doctype_subscribe', (doctype: string) => void socket.join(`doctype:${doctype}`))
  })

  sessions.set(sid, boot.user)
  const { url, port } = await listenLocal(server)
  boot.socketio_port = port

  return {
    url,
    boot,
    fixtures,
    requests,
    unmatched,
    override(method, reply) {
      if (reply) overrides.set(method, reply)
      else overrides.delete(method)
    },
    serve(method, handler) {
      if (handler) handlers.set(method, handler)
      else handlers.delete(method)
    },
    addSession(user) {
      const id = `standin-session-${sessions.size + 1}`
      sessions.set(id, user)
      return id
    },
    addApiKey(key, secret, user) {
      apiKeys.set(`${key}:${secret}`, user)
    },
    emit(event, message) {
      // The room the sidecar publishes this event to: the SPA only hears it if it subscribed.
      namespace.to(REALTIME_ROOMS[event]).emit(event, message)
    },
    emitToRoom(room, event, message) {
      namespace.to(room).emit(event, message)
    },
    connectedSockets: () => namespace.sockets.size,
    async close() {
      server.closeAllConnections()
      // Closing socket.io also closes the HTTP server it is attached to.
      await new Promise<void>((ok) => void io.close(() => ok()))
    },
  }
}
