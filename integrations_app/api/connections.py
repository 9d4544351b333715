"""Desk and SPA methods for Integration Connections (docs/api.md "Desk API for the SPA").

Every method is for System and Integration Managers, and acts on a connection only with write
permission on it. None returns a credential or token: answers carry statuses, times and the
sidecar's error messages, which never hold secrets.
"""

from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.utils import cint, escape_html, get_datetime

from integrations_app.connections import call_log, errors, oauth, proxy, tokens
from integrations_app.connections.config import CONNECTION, PROVIDER, is_oauth
from integrations_app.connections.presets import catalogue as build_catalogue
from integrations_app.connections.rules.stats import summarize as summarize_stats
from integrations_app.outbound.access import is_system_manager
from integrations_app.permissions import is_integration_manager, require_manager
from integrations_app.providers.catalogue import area_of
from integrations_app.sidecar import config_sync
from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound
from integrations_app.sitetime import now_iso_utc
from integrations_app.timefmt import utc_naive_to_iso

LIST_FIELDS = [
	"name",
	"auth_type",
	"provider",
	"base_url",
	"sandbox",
	"enabled",
	"status",
	"last_error",
	"last_error_at",
	"token_expires_at",
	"connected_by",
	"connected_at",
	"sidecar_id",
	"sidecar_synced",
	"api_provider",
]


def _writable(connection: str):
	require_manager()
	doc = frappe.get_doc(CONNECTION, connection)
	doc.check_permission("write")
	return doc


def _iso(value) -> str | None:
	return utc_naive_to_iso(get_datetime(value)) if value else None


@frappe.whitelist()
def list_connections() -> list[dict]:
	"""Connections with status for the SPA; token and connection times as UTC ISO-8601."""
	require_manager()
	rows = frappe.get_list(CONNECTION, fields=LIST_FIELDS, order_by="name asc", limit_page_length=0)
	for row in rows:
		row["token_expires_at"] = _iso(row["token_expires_at"])
		row["connected_at"] = _iso(row["connected_at"])
		row["oauth"] = row["auth_type"] in ("OAuth 2 Client Credentials", "OAuth 2 Authorization Code")
		row["area"] = area_of(row["api_provider"])  # which "Try it" action the SPA offers
	return rows


@frappe.whitelist()
def catalogue() -> list[dict]:
	"""What a new connection can start from: the OAuth provider records, then API presets."""
	require_manager()
	providers = frappe.get_list(PROVIDER, fields=["name", "preset", "authorize_url", "api_base_url", "client_id"], limit_page_length=0)
	return build_catalogue(providers)


@frappe.whitelist(methods=["POST"])
def test_connection(connection: str) -> dict:
	"""GET the connection's Test Path through the sidecar → {ok, status_code, duration_ms,
	attempts, error, status}. The answer's body is not returned (it is the account's data)."""
	doc = _writable(connection)
	try:
		response = proxy.call(doc.name, "GET", doc.test_path or "/")
	except errors.CallError as e:
		if not isinstance(e, (errors.NotConnected, errors.ConnectionDisabled, errors.ConnectionExpired)):
			tokens.set_status(doc, "Error", error=str(e))
		return {"ok": False, "status_code": None, "error": str(e), "code": e.code, "status": doc.status}
	if response.ok:
		if doc.status in ("Error", "Connected") or not is_oauth(doc):
			tokens.set_status(doc, "Connected")
		return {"ok": True, "status_code": response.status_code, "duration_ms": response.duration_ms, "attempts": response.attempts, "error": None, "status": doc.status}
	message = _("The API answered {0} to GET {1}").format(response.status_code, doc.test_path or "/")
	tokens.set_status(doc, "Error", error=message)
	return {"ok": False, "status_code": response.status_code, "error": message, "code": "upstream_status", "status": doc.status}


@frappe.whitelist(methods=["POST"])
def start_oauth(connection: str, return_to: str = "desk") -> dict:
	"""→ {authorize_url, expires_at}: open it in the browser; the provider comes back to
	`oauth_callback` with a state bound to this user."""
	doc = _writable(connection)
	return oauth.start(doc, frappe.session.user, return_to)


@frappe.whitelist(allow_guest=True, methods=["GET"])
def oauth_callback(state: str | None = None, code: str | None = None, error: str | None = None, error_description: str | None = None):
	"""The provider's redirect (the site's public URL). Guests are sent to log in and back;
	the user must be the one who pressed Connect and still a manager. Redirects to desk or the SPA."""
	if frappe.session.user == "Guest":
		params = {"state": state, "code": code, "error": error, "error_description": error_description}
		back = f"/api/method/{oauth.CALLBACK_METHOD}?" + urlencode({k: v for k, v in params.items() if v})
		return _redirect("/login?" + urlencode({"redirect-to": back}))
	try:
		if not is_integration_manager():
			raise frappe.PermissionError(_("Only a System Manager or an Integration Manager may connect accounts"))
		if not state:
			frappe.throw(_("The provider sent no state"))
		if not code and not error:
			frappe.throw(_("The provider sent neither a code nor an error"))
		location = oauth.finish(state, frappe.session.user, code, error, error_description)
	except (frappe.PermissionError, frappe.ValidationError) as e:
		# A browser lands here: for a page request to /api/ Frappe's error page says only "Not
		# Permitted" or "Server Error", so the reason (a spent state, another user's) is shown instead.
		frappe.clear_messages()
		frappe.respond_as_web_page(
			_("Not connected"),
			escape_html(str(e)),
			http_status_code=getattr(e, "http_status_code", 417),
			indicator_color="red",
		)
		return
	return _redirect(location)


def _redirect(location: str) -> None:
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = location


@frappe.whitelist(methods=["POST"])
def disconnect(connection: str) -> dict:
	"""Forget the account's tokens in the sidecar — which revokes them at the provider when it has
	a revoke URL (refresh token first) — and here; the connection stays, Not Connected.
	→ {status, revocation: done|failed|not_supported|nothing_to_revoke|pending, error}. A failed
	revocation is kept as the last error but does not stop the disconnect; a sidecar that cannot
	be reached does it on the next push."""
	doc = _writable(connection)
	if not is_oauth(doc):
		frappe.throw(_("Only OAuth connections are connected to an account; disable this one instead"))
	values = {"status": "Not Connected"}
	try:
		# Before Frappe forgets its copy: a sidecar that lost its own recovers it and revokes it.
		answer = SidecarClient.from_settings(read_timeout=30.0).disconnect_connection(doc.sidecar_id)
		revocation = answer.get("revocation")
	except SidecarNotFound:
		revocation = "nothing_to_revoke"
		answer = None
	except SidecarError:
		revocation, answer = "pending", None
		values.update(sidecar_reset_pending=1, sidecar_synced=0)
	tokens.forget_tokens(doc)
	frappe.db.set_value(CONNECTION, doc.name, values, update_modified=False)
	error = config_sync.record_revocation(doc.name, answer)
	if revocation == "pending":
		config_sync.schedule_sync(CONNECTION, doc.sidecar_id)
	return {"status": "Not Connected", "revocation": revocation, "error": error}


@frappe.whitelist()
def connection_stats(minutes: int = 30) -> dict:
	"""Per connection, over the last `minutes` (1–180): calls, errors, results, the breaker now and
	one point per minute, from the sidecar's per-minute stats (every sidecar process, kept in Redis).
	→ {at, minutes, connections: {name: {calls, errors, by_result, breaker, series}}, error}"""
	require_manager()
	minutes = min(180, max(1, cint(minutes) or 30))
	names = dict(frappe.get_list(CONNECTION, fields=["sidecar_id", "name"], as_list=True, limit_page_length=0))
	at = now_iso_utc()
	if not names:
		return {"at": at, "minutes": minutes, "connections": {}, "error": None}
	try:
		answer = SidecarClient.from_settings(read_timeout=5.0).connection_stats(list(names)[:500], minutes)
	except SidecarError as e:
		return {"at": at, "minutes": minutes, "connections": {}, "error": str(e)}
	return {"at": at, "minutes": minutes, "connections": summarize_stats(answer, names), "error": None}


@frappe.whitelist()
def recent_failures(limit: int = 5) -> dict:
	"""Each connection's newest failed calls (the Call Log; UTC ISO times) for the SPA.
	→ {name: [{name, at, method, path, status_code, error_code, error, attempts, duration_ms}]}"""
	require_manager()
	names = frappe.get_list(CONNECTION, pluck="name", limit_page_length=0)
	return call_log.recent_failures(names, min(20, max(1, cint(limit) or 5)))


@frappe.whitelist(methods=["POST"])
def call_connection(
	connection: str,
	method: str,
	path: str,
	json: dict | list | None = None,
	query: dict | None = None,
	headers: dict | None = None,
	idempotency_key: str | None = None,
) -> dict:
	"""`connections.call` for server scripts (`frappe.call("integrations_app.api.connections.call_connection", …)`)
	and System Managers. Over HTTP an Integration Manager may not use it: managing a connection
	is not making arbitrary calls with its account."""
	if not frappe.flags.in_safe_exec and not is_system_manager(frappe.session.user):
		raise frappe.PermissionError(_("Only server scripts and System Managers may call through a connection"))
	return proxy.call(connection, method, path, json=json, query=query, headers=headers, idempotency_key=idempotency_key)
