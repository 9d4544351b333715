"""What the sidecar is told about a connection: `PUT /v1/connections/{id}` (sidecar/README.md
"Connections and OAuth 2"), built from an Integration Connection and its OAuth provider.

The same body answers the sidecar's `connection_config` recovery call, so credentials and the
Frappe copy of the tokens are decrypted here; nothing else may return it to anybody.
"""

import re
from urllib.parse import urlsplit

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime

from integrations_app.connections.rules import auth as auth_rules
from integrations_app.providers.catalogue import sidecar_provider
from integrations_app.timefmt import utc_naive_to_iso

CONNECTION = "Integration Connection"
PROVIDER = "Integration OAuth Provider"

AUTH_TYPES = {
	"API Key (Header)": "api_key",
	"API Key (Query)": "api_key",
	"Bearer Token": "bearer",
	"Basic Auth": "basic",
	"OAuth 2 Client Credentials": "oauth2_client_credentials",
	"OAuth 2 Authorization Code": "oauth2_authorization_code",
	auth_rules.AWS_SIGV4: "aws_sigv4",
	auth_rules.GOOGLE_SERVICE_ACCOUNT: "google_service_account",
	auth_rules.AZURE_SHARED_KEY: "azure_shared_key",
}
OAUTH_TYPES = ("OAuth 2 Client Credentials", "OAuth 2 Authorization Code")
SIDECAR_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
# The sidecar refuses these (schemas.ts RESERVED_HEADERS) and sets the credentials itself.
RESERVED_HEADERS = frozenset(
	{"host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer", "proxy-authorization", "proxy-connection"}
)
MAX_HEADERS = 30


def is_oauth(doc) -> bool:
	return doc.auth_type in OAUTH_TYPES


def sidecar_id_for(name: str, taken) -> str:
	"""A sidecar id for connection `name`: the name itself when it is a valid id (`Stripe-Live`),
	else the name with every other character made `-` (`Stripe Live` → `Stripe-Live`), with
	`-2`, `-3`… when `taken(id)` says another connection has it."""
	base = re.sub(r"[^A-Za-z0-9_.-]", "-", name.strip())[:120].strip("-") or "connection"
	candidate, n = base, 1
	while taken(candidate):
		n += 1
		candidate = f"{base}-{n}"
	return candidate


def parse_lines(text: str | None, sep: str) -> dict[str, str]:
	"""`key<sep>value` per line → dict; ValueError naming the first bad line."""
	out: dict[str, str] = {}
	for line in (text or "").splitlines():
		if not line.strip():
			continue
		key, found, value = line.partition(sep)
		if not found or not key.strip():
			raise ValueError(_("{0} is not {1}").format(frappe.bold(line.strip()), f"name{sep}value"))
		out[key.strip()] = value.strip()
	return out


def parse_headers(text: str | None) -> dict[str, str]:
	headers = parse_lines(text, ":")
	if len(headers) > MAX_HEADERS:
		raise ValueError(_("At most {0} headers").format(MAX_HEADERS))
	for name in headers:
		if not HEADER_NAME_RE.match(name):
			raise ValueError(_("{0} is not a header name").format(frappe.bold(name)))
		if name.lower() in RESERVED_HEADERS or name.lower() == "authorization":
			raise ValueError(_("Header {0} is set by the sidecar").format(frappe.bold(name)))
	return headers


def parse_scopes(text: str | None) -> list[str]:
	return [s for s in (text or "").replace(",", " ").split() if s]


def host_of(url: str | None) -> str:
	return (urlsplit(url.strip()).hostname or "").lower() if url else ""


def provider_api_hosts(provider) -> set[str]:
	"""Where tokens of the provider's own client may be sent: its API base URLs' hosts."""
	return {h for h in (host_of(provider.api_base_url), host_of(provider.sandbox_api_base_url)) if h}


def provider_of(doc):
	return frappe.get_cached_doc(PROVIDER, doc.provider) if doc.provider else None


def oauth_client(doc, provider=None) -> dict:
	"""client_id, client_secret and the URLs a connection's OAuth flow uses (its own client
	overrides the provider's; Sandbox picks the provider's sandbox URLs when it has them)."""
	provider = provider or provider_of(doc)
	if provider is None:
		frappe.throw(_("Pick an OAuth Provider"))
	own_client = bool(doc.client_id)
	client_id = doc.client_id or provider.client_id
	if own_client:
		secret = doc.get_password("client_secret", raise_exception=False) if doc.client_secret else None
	else:
		secret = provider.get_password("client_secret", raise_exception=False) if provider.client_secret else None
	sandbox = cint(doc.sandbox)
	return {
		"client_id": client_id,
		"client_secret": secret,
		"token_url": (sandbox and provider.sandbox_token_url) or provider.token_url,
		"authorize_url": (sandbox and provider.sandbox_authorize_url) or provider.authorize_url,
		"revoke_url": provider.revoke_url,
	}


def issuing_client_key(doc, provider=None) -> str:
	"""Who issued the tokens: the sidecar drops its tokens when type, client id or token URL
	change, and Frappe's copy is sent back only while this still matches."""
	if not is_oauth(doc):
		return ""
	client = oauth_client(doc, provider)
	return f"{AUTH_TYPES[doc.auth_type]}|{client['client_id']}|{client['token_url']}"


def password(doc, fieldname: str) -> str | None:
	return doc.get_password(fieldname, raise_exception=False) if doc.get(fieldname) else None


def build_auth(doc, provider=None) -> dict:
	"""The sidecar's `auth`; ValueError (from `rules.auth`) for a signed type whose fields are
	incomplete, which the controller's validate already refuses."""
	kind = AUTH_TYPES[doc.auth_type]
	secret = password(doc, "secret") if not is_oauth(doc) else None
	if kind == "aws_sigv4":
		return auth_rules.aws_sigv4_auth(doc.aws_access_key_id, secret, password(doc, "aws_session_token"), doc.aws_region, doc.aws_service)
	if kind == "azure_shared_key":
		return auth_rules.azure_shared_key_auth(doc.azure_account, secret)
	if kind == "google_service_account":
		return auth_rules.google_service_account_auth(
			doc.google_client_email,
			password(doc, "google_private_key"),
			doc.google_key_id,
			doc.google_token_uri,
			parse_scopes(doc.scopes),
			doc.google_subject,
		)
	if kind == "api_key":
		auth = {"type": kind, "in": "query" if doc.auth_type == "API Key (Query)" else "header", "name": doc.key_name, "value": secret}
		if doc.auth_type == "API Key (Header)" and doc.api_key_prefix:
			auth["prefix"] = doc.api_key_prefix
		return auth
	if kind == "bearer":
		return {"type": kind, "token": secret}
	if kind == "basic":
		return {"type": kind, "username": doc.username, "password": secret}
	provider = provider or provider_of(doc)
	client = oauth_client(doc, provider)
	auth = {
		"type": kind,
		"token_url": client["token_url"],
		"client_id": client["client_id"],
		"client_auth": provider.client_auth_method or "basic",
		"scopes": parse_scopes(doc.scopes or provider.scopes),
		"token_params": parse_lines(provider.grant_params, "="),
		"default_token_lifetime_s": max(30, cint(provider.default_token_lifetime_s) or 3600),
	}
	if client["client_secret"]:
		auth["client_secret"] = client["client_secret"]
	if client["revoke_url"]:
		auth["revoke_url"] = client["revoke_url"]
	if kind == "oauth2_authorization_code":
		auth["authorize_url"] = client["authorize_url"]
		auth["pkce"] = bool(cint(provider.pkce))
		auth["authorize_params"] = parse_lines(provider.authorize_params, "=")
	return auth


def stored_tokens(doc, provider=None) -> dict | None:
	"""Frappe's copy of the tokens in the sidecar's `tokens` shape, or None (none kept, or
	issued to another OAuth client than the one configured now)."""
	if not is_oauth(doc) or not doc.access_token or not doc.token_obtained_at:
		return None
	if doc.issuing_client != issuing_client_key(doc, provider):
		return None
	access = doc.get_password("access_token", raise_exception=False)
	if not access:
		return None
	refresh = doc.get_password("refresh_token", raise_exception=False) if doc.refresh_token else None
	return {
		"access_token": access,
		"refresh_token": refresh or None,
		"token_type": doc.token_type or "Bearer",
		"scope": doc.granted_scope or None,
		"expires_at": utc_naive_to_iso(get_datetime(doc.token_expires_at)) if doc.token_expires_at else None,
		"obtained_at": utc_naive_to_iso(get_datetime(doc.token_obtained_at)),
	}


def connection_config(doc) -> dict:
	"""Body of PUT /v1/connections/{sidecar_id}; secrets decrypted."""
	provider = provider_of(doc) if is_oauth(doc) else None
	config = {
		"base_url": doc.base_url,
		"auth": build_auth(doc, provider),
		"headers": parse_headers(doc.headers),
		"timeout_ms": min(300_000, max(100, cint(doc.timeout_ms) or 30_000)),
		"max_attempts": min(10, max(1, cint(doc.max_attempts) or 3)),
		"enabled": bool(cint(doc.enabled)),
		"sandbox": bool(cint(doc.sandbox)),
		"provider": sidecar_provider(doc.api_provider),
	}
	if flt(doc.rate_limit_per_s) > 0:
		config["rate_limit_per_s"] = flt(doc.rate_limit_per_s)
		if cint(doc.rate_limit_burst) > 0:
			config["rate_limit_burst"] = cint(doc.rate_limit_burst)
	tokens = stored_tokens(doc, provider)
	if tokens:
		config["tokens"] = tokens
	return config
