"""Methods the sidecar calls (docs/api.md "Sidecar → Frappe").

Called with `Authorization: token key:secret` of the dedicated API user named in Integration
Settings (Sidecar API User), and by nobody else (`require_sidecar`); JSON body; POST only.
Nothing here publishes realtime messages: the sidecar does that itself.
"""

import frappe
from frappe import _
from frappe.utils import escape_html

from integrations_app import alerts
from integrations_app.connections import call_log
from integrations_app.connections import config as connections_config
from integrations_app.connections import tokens as connection_tokens
from integrations_app.inbound import events as handlers
from integrations_app.outbound import outbox
from integrations_app.outbound import reports as delivery_outcomes
from integrations_app.outbound.webhook_map import invalidate_webhook_map
from integrations_app.permissions import require_sidecar
from integrations_app.sitetime import from_iso

WEBHOOK = "Integration Webhook"
MAX_REASON = 1000


@frappe.whitelist(methods=["POST"])
def report_deliveries(outcomes: list) -> dict:
	"""{outcomes:[Outcome]} → {updated:n, ignored:[{message_id, reason}]}"""
	require_sidecar()
	return delivery_outcomes.apply_outcomes(outcomes)


@frappe.whitelist(methods=["POST"])
def acknowledge_messages(accepted: list, rejected: list | None = None) -> dict:
	"""{accepted:[ids], rejected:[{id, code, message}]} → {acked:n, rejected:n}: what the sidecar
	took from the outbox hand-off (docs/api.md)."""
	require_sidecar()
	rejected = rejected or []
	if not isinstance(accepted, list) or not all(isinstance(i, str) for i in accepted):
		frappe.throw("accepted must be a list of message ids", frappe.ValidationError)
	if not isinstance(rejected, list) or not all(
		isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("code"), str) for r in rejected
	):
		frappe.throw("rejected must be a list of {id, code, message}", frappe.ValidationError)
	return outbox.acknowledge(accepted, rejected)


@frappe.whitelist(methods=["POST"])
def endpoint_disabled(endpoint_id: str, reason: str | None = None, at: str | None = None) -> dict:
	"""The sidecar gave up on an endpoint (failing for 5 days, or 410 Gone)."""
	require_sidecar()
	if not frappe.db.exists(WEBHOOK, endpoint_id):
		return {"ok": False, "error": f"No Integration Webhook {endpoint_id!r}"}
	reason = (reason or "Disabled by the sidecar")[:MAX_REASON]
	try:
		disabled_at = from_iso(at)
	except ValueError:
		disabled_at = None
	if frappe.db.get_value(WEBHOOK, endpoint_id, "status") == "Auto-disabled":
		return {"ok": True, "status": "Auto-disabled"}  # repeated report: one notice is enough

	frappe.db.set_value(
		WEBHOOK,
		endpoint_id,
		{"status": "Auto-disabled", "disabled_reason": reason, "last_failure_at": disabled_at or frappe.utils.now()},
	)
	invalidate_webhook_map()
	title = frappe.db.get_value(WEBHOOK, endpoint_id, "title") or endpoint_id
	# The subject is shown as HTML in desk's notification list: the title is user input.
	alerts.notify_managers(
		_("Integration Webhook {0} was auto-disabled").format(escape_html(title)),
		WEBHOOK,
		endpoint_id,
		"<p>{0}</p><p>{1}</p><p>{2}</p>".format(
			_("The sidecar stopped delivering to {0}.").format(f"<b>{escape_html(title)}</b>"),
			_("Reason: {0}").format(escape_html(reason)),
			_("Fix the receiver, then use Resume on the webhook and Recover failed since… to resend."),
		),
	)
	return {"ok": True, "status": "Auto-disabled"}


@frappe.whitelist(methods=["POST"])
def receive_inbound_events(events: list) -> dict:
	"""{events:[InboundEvent]} → {accepted:[sidecar_id], duplicates:[sidecar_id], rejected:[…]}"""
	require_sidecar()
	return handlers.receive_events(events)


# --- connections (docs/api.md "Sidecar → Frappe", sidecar/README.md "Connections and OAuth 2")


@frappe.whitelist(methods=["POST"])
def connection_config(connection_id: str) -> dict | None:
	"""The connection as PUT /v1/connections/{id} takes it, credentials and tokens included, or
	None: the sidecar recovers a connection its Redis lost."""
	require_sidecar()
	doc = connection_tokens.by_sidecar_id(connection_id)
	return connections_config.connection_config(doc) if doc else None


@frappe.whitelist(methods=["POST"])
def store_connection_tokens(
	connection_id: str,
	tokens: dict,
	status: str = "connected",
	connected_by: str | None = None,
	connected_at: str | None = None,
) -> dict:
	"""Tokens the sidecar obtained (code exchange, refresh, client credentials); an older copy
	than the one kept (by `obtained_at`) is ignored → {ok, stored}."""
	require_sidecar()
	doc = connection_tokens.by_sidecar_id(connection_id)
	if doc is None:
		return {"ok": False, "error": f"No Integration Connection {connection_id!r}"}
	try:
		stored = connection_tokens.store_tokens(doc, tokens, connected_by, connected_at)
	except ValueError as e:  # an unreadable timestamp
		frappe.throw(str(e))
	return {"ok": True, "stored": stored}


@frappe.whitelist(methods=["POST"])
def connection_status(connection_id: str, status: str, error: str | None = None, at: str | None = None) -> dict:
	"""`expired` (the provider refused the refresh token: notify, desk shows Reconnect) or
	`error`; `connected` clears the last error."""
	require_sidecar()
	statuses = {"expired": "Expired", "error": "Error", "connected": "Connected"}
	if status not in statuses:
		frappe.throw(_("status must be one of {0}").format(", ".join(statuses)))
	doc = connection_tokens.by_sidecar_id(connection_id)
	if doc is None:
		return {"ok": False, "error": f"No Integration Connection {connection_id!r}"}
	connection_tokens.set_status(doc, statuses[status], error=error if status != "connected" else None, at=at)
	return {"ok": True, "status": statuses[status]}


@frappe.whitelist(methods=["POST"])
def report_connection_failures(failures: list) -> dict:
	"""{failures:[CallFailure]} → {stored, ignored}: failed proxied calls for the desk's call log
	(successes are never sent)."""
	require_sidecar()
	return call_log.store_failures(failures)
