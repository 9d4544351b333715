/**
 * Secrets belong in Password fields: Frappe encrypts those with the site key into __Auth and
 * never returns them to the browser (frappe/utils/password.py, base_document.py _save_passwords).
 * A Data/Text/Code/JSON field holding a secret is stored in clear, sent to desk, exported in
 * reports and backups.
 *
 * The rule:
 * 1. Only fields that can hold free text are judged (SECRET_CAPABLE_TYPES); a Check, Int,
 *    Datetime, Select, Link, Table or layout field named after a secret cannot store one.
 * 2. A fieldname mentions a secret when one of its "_"-separated words (or adjacent pair) is a
 *    SECRET_WORDS entry: "signing_secret", "refresh_token", "api_key", "private_key_pem".
 * 3. It is metadata, not the secret, when its last word is a METADATA_SUFFIXES entry:
 *    "token_expires_at", "secret_prefix", "token_url", "token_hashes", "token_type".
 * Calibrated on Frappe v15's own DocTypes: it flags User.api_key (Data; an identifier there, but
 * a secret for most third-party APIs, so the app must use Password) and reset_password_key.
 */
import type { DocField, DocTypeJson, Issue, ValidationContext } from "../types";
import { issue } from "./issue";

const SECRET_CAPABLE_TYPES = new Set([
  "Data", "Small Text", "Text", "Long Text", "Code", "JSON", "Read Only", "Text Editor",
  "Markdown Editor", "HTML Editor", "Autocomplete",
]);
const SECRET_WORDS = new Set(["secret", "secrets", "token", "tokens", "password", "passwd", "passphrase", "credential", "credentials", "apikey"]);
const SECRET_PAIRS = new Set(["api_key", "private_key", "signing_key"]);
const METADATA_SUFFIXES = new Set([
  "hash", // a digest (e.g. sha256 of a stream token) is safe to store and show
  "hashes",
  "at", // timestamps: token_expires_at, secret_rotated_at
  "prefix", // a non-secret lookup prefix, e.g. "whsec_ab12"
  "url", // token_url, the endpoint that issues tokens
  "uri",
  "endpoint", // token_endpoint (a URL)
  "type", // token_type ("Bearer")
  "method", // token_endpoint_auth_method
]);

export function mentionsSecret(fieldname: string): boolean {
  const words = fieldname.toLowerCase().split("_").filter(Boolean);
  if (words.length === 0 || METADATA_SUFFIXES.has(words[words.length - 1] ?? "")) return false;
  return words.some((w, i) => SECRET_WORDS.has(w) || SECRET_PAIRS.has(`${w}_${words[i + 1] ?? ""}`));
}

export function isSecretStoredInClear(f: DocField): boolean {
  return Boolean(f.fieldname && f.fieldtype && SECRET_CAPABLE_TYPES.has(f.fieldtype) && mentionsSecret(f.fieldname));
}

export function checkSecrets(doc: DocTypeJson, name: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  for (const f of doc.fields ?? []) {
    if (isSecretStoredInClear(f)) {
      out.push(at("secret-not-password", `Make "${f.fieldname}" a Password field (it is ${f.fieldtype}): secrets must be encrypted; if it only describes a secret, rename it with a _hash/_at/_prefix/_url/_uri/_endpoint/_type/_method suffix.`, f.fieldname));
    }
  }
}
