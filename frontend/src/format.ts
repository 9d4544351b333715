/**
 * Display helpers for Frappe values (naive datetimes in the site's time zone) and sidecar values
 * (ISO-8601 UTC). Every time is shown in the site's time zone (System Settings, sent in the boot
 * as `time_zone`), whatever the browser's zone is, so live rows match the rows from the server.
 */

const pad = (n: number) => String(n).padStart(2, '0')

/** A wall-clock time: what a clock in some time zone shows. */
export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

/** The site's time zone from the boot; the browser's when the boot has none (dev server). */
export function siteTimeZone(): string {
  const fromBoot = typeof window !== 'undefined' ? window.time_zone : undefined
  return fromBoot || Intl.DateTimeFormat().resolvedOptions().timeZone
}

const FRAPPE_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$/

/** The wall clock of an instant in a time zone. */
export function wallClockAt(date: Date, timeZone: string = siteTimeZone()): WallClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(date)
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') }
}

/**
 * Site wall clock of a value: a Frappe `YYYY-MM-DD HH:mm:ss[.ffffff]` is already site time and
 * is taken as it is; an ISO-8601 string with a zone (sidecar) is converted to the site's zone.
 */
export function siteWallClock(value: string, timeZone: string = siteTimeZone()): WallClock | null {
  const frappe = FRAPPE_RE.exec(value)
  if (frappe) {
    const [, year, month, day, hour, minute, second] = frappe.map(Number) as number[]
    return { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: second || 0 }
  }
  const parsed = new Date(value)
  return Number.isNaN(parsed.getTime()) ? null : wallClockAt(parsed, timeZone)
}

/** `May 1, 10:00:03` in the site's time zone, or `—` when empty. */
export function formatDateTime(value: string | null | undefined, timeZone: string = siteTimeZone()): string {
  const clock = value ? siteWallClock(value, timeZone) : null
  if (!clock) return '—'
  // the calendar day as it is, named in the browser's language (UTC: no zone shifts it)
  const day = new Date(Date.UTC(clock.year, clock.month - 1, clock.day)).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  })
  return `${day}, ${pad(clock.hour)}:${pad(clock.minute)}:${pad(clock.second)}`
}

/** An instant as Frappe writes it: `YYYY-MM-DD HH:mm:ss` in the site's time zone. */
export function frappeDatetime(date: Date, timeZone: string = siteTimeZone()): string {
  const c = wallClockAt(date, timeZone)
  return `${c.year}-${pad(c.month)}-${pad(c.day)} ${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}`
}

/** `2d 3h`, `4h 12m`, `5m 7s`, `42s`. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = Math.floor(seconds % 60)
  if (d) return `${d}d ${h}h`
  if (h) return `${h}h ${m}m`
  if (m) return `${m}m ${s}s`
  return `${s}s`
}

/** `85 ms`, `1.25 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null) return '—'
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`
}

/** Desk form URL of a document: `/app/sales-invoice/SINV-0001`. */
export function deskUrl(doctype: string, name: string): string {
  return `/app/${doctype.toLowerCase().replace(/ /g, '-')}/${encodeURIComponent(name)}`
}

/** Pretty JSON when `text` is JSON, else `text` as is. */
export function prettyJson(value: unknown): string {
  if (value == null || value === '') return ''
  if (typeof value !== 'string') return JSON.stringify(value, null, 2)
  try {
    return JSON.stringify(JSON.parse(value), null, 2)
  } catch {
    return value
  }
}
