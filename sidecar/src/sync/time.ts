/**
 * Frappe stores datetimes as naive wall-clock strings in the site's time zone
 * ("2026-12-01 09:30:00.123456"). These convert them to and from instants.
 */

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

function offsetMs(ms: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant of a naive datetime in `tz` (null if it is not one). */
export function naiveToMs(v: unknown, tz: string): number | null {
  if (typeof v !== 'string') return null;
  const m = NAIVE.exec(v);
  if (!m) return null;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000));
  if (tz === 'UTC') return wall;
  // Two passes settle the offset around a DST change.
  let ms = wall - offsetMs(wall, tz);
  ms = wall - offsetMs(ms, tz);
  return ms;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The naive datetime string of an instant in `tz` (microseconds as Frappe writes them). */
export function msToNaive(ms: number, tz: string): string {
  const d = new Date(ms + (tz === 'UTC' ? 0 : offsetMs(ms, tz)));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
}
