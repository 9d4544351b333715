/** Display helpers for Frappe values (naive site-local datetimes) and sidecar values (ISO UTC). */

const pad = (n: number) => String(n).padStart(2, '0')

/** `YYYY-MM-DD HH:mm:ss[.ffffff]` (Frappe, site-local) or ISO-8601 with zone (sidecar) → Date. */
export function parseDatetime(value: string): Date | null {
  const frappe = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$/.exec(value)
  if (frappe) {
    const [, y, mo, d, h, mi, s] = frappe.map(Number) as number[]
    return new Date(y!, mo! - 1, d!, h!, mi!, s || 0)
  }
  const parsed = new Date(value)
  return Number.isNaN(parsed.getTime()) ? null : parsed
}

/** `May 1, 10:00:03`, or `—` when empty. */
export function formatDateTime(value: string | null | undefined): string {
  const date = value ? parseDatetime(value) : null
  if (!date) return '—'
  const day = date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
  return `${day}, ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** The browser's local time in Frappe's datetime format. */
export function frappeDatetime(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  )
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
