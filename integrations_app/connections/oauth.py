"""The authorization code flow as Frappe sees it: the sidecar makes the PKCE verifier and the
single-use `state` (bound to the user) and exchanges the code; Frappe starts it for a manager,
receives the provider's redirect on the site's public URL, and forwards it.

Frappe also remembers each state it started (hashed, 10 minutes, with the user and where to
return), so a callback opened by another user is refused here without being forwarded: the
sidecar takes a forwarded state even when it then refuses it, which would spoil the real
user's attempt.
"""

import hashlib
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

import frappe
from frappe import _
from frappe.utils import get_url

from integrations_app.connections import tokens
from integrations_app.connections.config import CONNECTION, issuing_client_key
from integrations_app.sidecar import config_sync
from integrations_app.sidecar.client import SidecarClient, SidecarError
from integrations_app.timefmt import utc_naive

CALLBACK_METHOD = "integrations_app.api.connections.oauth_callback"
STATE_TTL_S = 600
RETURN_TO = ("desk", "spa")


def utc_now() -> datetime:
	return datetime.now(timezone.utc).replace(tzinfo=None)


def callback_url() -> str:
	return get_url(f"/api/method/{CALLBACK_METHOD}")


def _state_key(state: str) -> str:
	return "integrations_app:oauth_state:" + hashlib.sha256(state.encode()).hexdigest()


def start(doc, user: str, return_to: str = "desk") -> dict:
	"""Push the connection's current config, then ask the sidecar for the consent URL."""
	if doc.auth_type != "OAuth 2 Authorization Code":
		frappe.throw(_("Only OAuth 2 Authorization Code connections are connected through a consent page"))
	if not doc.enabled:
		frappe.throw(_("Enable the connection first"))
	client = SidecarClient.from_settings()
	try:
		if not config_sync.sync_connection(doc.sidecar_id, client):
			frappe.throw(_("The sidecar refused the connection's settings: {0}").format(frappe.db.get_value(CONNECTION, doc.name, "last_error")))
		answer = client.oauth_start(doc.sidecar_id, user, callback_url())
	except SidecarError as e:
		frappe.throw(_("Could not start connecting: {0}").format(e))
	frappe.cache.set_value(
		_state_key(answer["state"]),
		{"user": user, "connection": doc.name, "return_to": return_to if return_to in RETURN_TO else "desk"},
		expires_in_sec=STATE_TTL_S,
	)
	return {"authorize_url": answer["authorize_url"], "expires_at": answer.get("expires_at")}


def return_url(connection: str | None, return_to: str, outcome: str) -> str:
	if return_to == "spa":
		query = urlencode({"connection": connection or "", "oauth": outcome})
		return f"/integrations/connections?{query}"
	if connection:
		return f"/app/integration-connection/{quote(connection, safe='')}?{urlencode({'oauth': outcome})}"
	return "/app/integration-connection"


class CallbackRefused(frappe.PermissionError):
	pass


def finish(state: str, user: str, code: str | None, error: str | None, error_description: str | None) -> str:
	"""Forward the provider's redirect to the sidecar; record the outcome; return where to go."""
	key = _state_key(state or "")
	pending = frappe.cache.get_value(key)
	if not pending:
		raise CallbackRefused(_("This sign-in link is unknown, already used or older than 10 minutes. Start again with Connect."))
	if pending["user"] != user:
		raise CallbackRefused(_("This sign-in was started by another user. Start again with Connect."))
	frappe.cache.delete_value(key)
	name = pending["connection"]
	body = {"state": state, "user": user}
	if code:
		body["code"] = code
	else:
		body["error"] = (error or "no_code")[:256]
		if error_description:
			body["error_description"] = error_description[:2048]
	doc = frappe.get_doc(CONNECTION, name) if frappe.db.exists(CONNECTION, name) else None
	try:
		answer = SidecarClient.from_settings().oauth_callback(body)
	except SidecarError as e:
		if doc:
			tokens.set_status(doc, doc.status, error=str(e))
			frappe.db.commit()
		return return_url(name, pending["return_to"], "failed")
	if doc:
		_record_connected(doc, answer)
		frappe.db.commit()
	return return_url(name, pending["return_to"], "connected")


def _record_connected(doc, answer: dict) -> None:
	"""What the callback's answer says; the tokens themselves arrive by `store_connection_tokens`
	(which may come first or second: neither overwrites the other's newer data)."""
	values = {
		"status": "Connected",
		"last_error": None,
		"last_error_at": None,
		"connected_by": frappe.session.user,
		"connected_at": utc_naive(answer["connected_at"]) if answer.get("connected_at") else utc_now(),
	}
	if answer.get("expires_at") and not doc.token_obtained_at:
		values["token_expires_at"] = utc_naive(answer["expires_at"])
	if answer.get("scope") and not doc.granted_scope:
		values["granted_scope"] = answer["scope"]
	if not doc.issuing_client:
		values["issuing_client"] = issuing_client_key(doc)
	frappe.db.set_value(CONNECTION, doc.name, values, update_modified=False)
