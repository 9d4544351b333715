/**
 * Stripe's request bodies: `application/x-www-form-urlencoded` with nested keys in brackets
 * (`metadata[order]=7`, `line_items[0][price_data][currency]=usd`), arrays by index, booleans
 * as `true`/`false`, and an empty value to clear a field (null). Keys keep their order, so one
 * set of params always gives the same bytes (the idempotency hash relies on it). Brackets are
 * left unescaped, as Stripe's own SDK sends them.
 */
export type FormValue = string | number | boolean | null | undefined | FormValue[] | { [k: string]: FormValue };

const escape = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');

function pairs(prefix: string, value: FormValue, out: string[]): void {
  if (value === undefined) return;
  if (value === null) {
    out.push(`${escape(prefix)}=`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => pairs(`${prefix}[${i}]`, v, out));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) pairs(prefix ? `${prefix}[${k}]` : k, v, out);
  } else {
    out.push(`${escape(prefix)}=${encodeURIComponent(String(value))}`);
  }
}

export function encodeForm(params: Record<string, FormValue>): string {
  const out: string[] = [];
  pairs('', params, out);
  return out.join('&');
}
