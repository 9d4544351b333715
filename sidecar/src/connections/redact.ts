/**
 * Text kept from a failed call (its error message, the start of the answer's body) goes to
 * Frappe's call log, read by people: the connection's own secrets and anything shaped like a
 * credential are replaced with `[redacted]` first. Known values are replaced wherever they
 * appear (also URL- or JSON-escaped); then token-like JSON fields, form fields, Frappe
 * `token key:secret` headers and Authorization-style values, whatever the API put in them. The
 * shapes are the ones integrations_app/sync/rules/redact.py hides: both are tested against
 * test/vectors/redaction.json.
 */

const REDACTED = '[redacted]';
const SECRET_NAMES = '(?:access_token|refresh_token|id_token|token|client_secret|secret|password|passwd|api_key|apikey|api-key|authorization|private_key|session|cookie)';
const JSON_FIELD = new RegExp(`("${SECRET_NAMES}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const FORM_FIELD = new RegExp(`((?:^|[?&\\s])${SECRET_NAMES}=)[^&\\s"']+`, 'gi');
const SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g;
// Before SCHEME, which stops at the colon and would leave the secret half.
const FRAPPE_TOKEN = /\b([Tt]oken)\s+[A-Za-z0-9]{6,}:[A-Za-z0-9]{6,}/g;

/** Values shorter than this are not replaced on their own (too likely to match ordinary text). */
const MIN_SECRET = 4;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function redactSnippet(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      out = out.replace(new RegExp(escapeRe(form), 'g'), REDACTED);
    }
  }
  return out
    .replace(JSON_FIELD, `$1"${REDACTED}"`)
    .replace(FORM_FIELD, `$1${REDACTED}`)
    .replace(FRAPPE_TOKEN, `$1 ${REDACTED}`)
    .replace(SCHEME, `$1 ${REDACTED}`);
}
