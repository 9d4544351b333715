/**
 * `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. Parsed by hand because
 * `Date.parse` accepts far more than HTTP-dates (V8 reads "foo 1" as a date), and a receiver's
 * garbage must not become a retry delay. Bounding the delay is the retry policy's job.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MON = MONTHS.join('|');
/** IMF-fixdate, the form senders must use: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MON}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
/** Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${MON})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
);
/** Obsolete asctime: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MON}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`);

/** Milliseconds to wait from `now`, or null for a missing, malformed or past value. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const ms = Number(v) * 1000;
    return Number.isSafeInteger(ms) ? ms : null;
  }
  const at = parseHttpDate(v, now);
  if (at === null || at < now) return null;
  return at - now;
}

function parseHttpDate(v: string, now: number): number | null {
  let m = IMF.exec(v);
  if (m) return utc(m[3], m[2], m[1], m[4], m[5], m[6]);
  m = RFC850.exec(v);
  if (m) {
    // RFC 9110: a two-digit year that looks more than 50 years ahead is in the past century.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(String(year), m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME.exec(v);
  if (m) return utc(m[6], m[1], m[2], m[3], m[4], m[5]);
  return null;
}

type Field = string | undefined;

/** Epoch ms, or null when a field is out of range (Date.UTC would roll "31 Feb" into March). */
function utc(y: Field, mon: Field, d: Field, h: Field, mi: Field, s: Field): number | null {
  const month = MONTHS.indexOf(mon ?? '');
  const date = new Date(Date.UTC(Number(y), month, Number(d), Number(h), Number(mi), Number(s)));
  const ok =
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === month &&
    date.getUTCDate() === Number(d) &&
    date.getUTCHours() === Number(h) &&
    date.getUTCMinutes() === Number(mi) &&
    date.getUTCSeconds() === Number(s);
  return ok ? date.getTime() : null;
}
