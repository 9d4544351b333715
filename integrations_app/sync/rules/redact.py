"""Error text kept on Sync Log rows and runs is read by people in desk, so anything shaped like a
credential is replaced with "[redacted]" before it is stored. The sidecar already replaces the
connection's own secret values wherever they appear (sidecar/src/connections/redact.ts); this
pass, by shape alone, keeps out what it could not know: a credential of another system echoed in
a remote answer, a Frappe `token key:secret` header quoted back. The shapes are the sidecar's:
both are tested against test/vectors/redaction.json. Frappe-free."""

import re

REDACTED = "[redacted]"
_NAMES = r"(?:access_token|refresh_token|id_token|token|client_secret|secret|password|passwd|api_key|apikey|api-key|authorization|private_key|session|cookie)"
_JSON_FIELD = re.compile(rf'("{_NAMES}"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
_FORM_FIELD = re.compile(rf"((?:^|[?&\s]){_NAMES}=)[^&\s\"']+", re.IGNORECASE)
_SCHEME = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}")
_FRAPPE_TOKEN = re.compile(r"\b([Tt]oken)\s+[A-Za-z0-9]{6,}:[A-Za-z0-9]{6,}")


def redact(text: str | None) -> str | None:
	if not text:
		return text
	text = _JSON_FIELD.sub(rf'\1"{REDACTED}"', text)
	text = _FORM_FIELD.sub(rf"\1{REDACTED}", text)
	text = _FRAPPE_TOKEN.sub(rf"\1 {REDACTED}", text)
	return _SCHEME.sub(rf"\1 {REDACTED}", text)
