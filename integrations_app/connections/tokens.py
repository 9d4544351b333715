"""Frappe's copy of a connection's OAuth tokens and status, as the sidecar reports them.

Written with `db_set`-like updates, not `save()`: a write-back must not push the connection
back to the sidecar (it came from there), nor move `modified` under a user editing the form.
The expiry is the provider's absolute `expires_at` in UTC, never computed from `modified`.
"""

from datetime import datetime

import frappe
from frappe import _
from frappe.utils import escape_html, get_datetime
from frappe.utils.password import remove_encrypted_password, set_encrypted_password

from integrations_app import alerts
from integrations_app.connections.config import CONNECTION, issuing_client_key
from integrations_app.sitetime import from_iso
from integrations_app.timefmt import utc_naive

MAX_ERROR = 1000


def by_sidecar_id(connection_id: str):
	name = frappe.db.get_value(CONNECTION, {"sidecar_id": connection_id}, "name")
	return frappe.get_doc(CONNECTION, name) if name else None


def _utc_or_none(value: str | None) -> datetime | None:
	return utc_naive(value) if value else None


def store_tokens(doc, tokens: dict, connected_by: str | None = None, connected_at: str | None = None) -> bool:
	"""Keep `tokens` ({access_token, refresh_token, token_type, scope, expires_at, obtained_at})
	unless Frappe already holds newer ones (a retried write-back can arrive after a later one).
	True when stored."""
	if not isinstance(tokens, dict) or not tokens.get("access_token") or not tokens.get("obtained_at"):
		raise frappe.ValidationError(_("tokens need access_token and obtained_at"))
	obtained = utc_naive(tokens["obtained_at"])
	expires = _utc_or_none(tokens.get("expires_at"))
	if doc.token_obtained_at and get_datetime(doc.token_obtained_at) > obtained and doc.issuing_client == issuing_client_key(doc):
		return False
	set_encrypted_password(CONNECTION, doc.name, tokens["access_token"], "access_token")
	# A provider that does not rotate sends no refresh token on refresh: the stored one stays valid.
	if tokens.get("refresh_token"):
		set_encrypted_password(CONNECTION, doc.name, tokens["refresh_token"], "refresh_token")
	values = {
		"access_token": "*" * 10,  # the Password field's placeholder: the value lives in __Auth
		"token_type": (tokens.get("token_type") or "Bearer")[:64],
		"granted_scope": tokens.get("scope"),
		"token_expires_at": expires,
		"token_obtained_at": obtained,
		"issuing_client": issuing_client_key(doc),
		"status": "Connected" if doc.enabled else "Disabled",
		"last_error": None,
		"last_error_at": None,
	}
	if tokens.get("refresh_token"):
		values["refresh_token"] = "*" * 10
	if connected_by:
		values["connected_by"] = connected_by if frappe.db.exists("User", connected_by) else None
	if connected_at:
		values["connected_at"] = utc_naive(connected_at)
	frappe.db.set_value(CONNECTION, doc.name, values, update_modified=False)
	doc.update(values)
	return True


def forget_tokens(doc) -> None:
	"""Drop Frappe's copy (disconnect, or a new OAuth client)."""
	for field in ("access_token", "refresh_token"):
		remove_encrypted_password(CONNECTION, doc.name, field)
	values = {
		"access_token": None,
		"refresh_token": None,
		"token_type": None,
		"granted_scope": None,
		"token_expires_at": None,
		"token_obtained_at": None,
		"issuing_client": None,
		"connected_by": None,
		"connected_at": None,
	}
	frappe.db.set_value(CONNECTION, doc.name, values, update_modified=False)
	doc.update(values)


def set_status(doc, status: str, error: str | None = None, at: str | None = None) -> None:
	"""Status reported by the sidecar or a test; Expired notifies Integration Managers once."""
	previous = doc.status
	values = {"status": status}
	if error is not None:
		values["last_error"] = error[:MAX_ERROR]
		values["last_error_at"] = _site_time(at)
	elif status == "Connected":
		values["last_error"] = values["last_error_at"] = None
	frappe.db.set_value(CONNECTION, doc.name, values, update_modified=False)
	doc.update(values)
	if status == "Expired" and previous != "Expired":
		title = escape_html(doc.name)
		alerts.notify_managers(
			_("Integration Connection {0} needs to be reconnected").format(title),
			CONNECTION,
			doc.name,
			"<p>{0}</p><p>{1}</p>".format(
				_("The provider refused the connection's refresh token or credentials; calls through {0} fail until it is reconnected.").format(
					f"<b>{title}</b>"
				),
				_("Reason: {0}").format(escape_html(error or "invalid_grant")),
			),
		)


def _site_time(iso: str | None) -> datetime:
	try:
		return from_iso(iso) or frappe.utils.now_datetime()
	except ValueError:
		return frappe.utils.now_datetime()
