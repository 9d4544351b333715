"""Desk's "Try it" panel on a connection's page: one test action per provider area, chosen by
the connection's API (docs/api.md "Desk API for the SPA"). Each area adds one entry to
`TRY_ACTIONS`: the label, the fields the panel asks for, and the function that runs it
(`fn(connection, **fields)`, in the area's `integrations_app.providers.<area>` module).
"""

import frappe
from frappe import _

from integrations_app.connections.config import CONNECTION
from integrations_app.permissions import require_manager
from integrations_app.providers.catalogue import sidecar_provider

AREA_OF_PROVIDER = {"sendgrid": "email", "mailgun": "email", "amazon_ses": "email", "twilio": "sms"}

TRY_ACTIONS = {
	"email": {
		"label": "Send test email",
		"method": "integrations_app.providers.email.test_email",
		"fields": [
			{"fieldname": "to", "label": "To", "fieldtype": "Data", "options": "Email", "reqd": 1},
			{"fieldname": "sender", "label": "From", "fieldtype": "Data", "options": "Email", "reqd": 0},
		],
	},
	"sms": {
		"label": "Send test SMS",
		"method": "integrations_app.providers.sms.test_sms",
		"fields": [
			{"fieldname": "to", "label": "To", "fieldtype": "Data", "options": "Phone", "reqd": 1},
			{"fieldname": "sender", "label": "From", "fieldtype": "Data", "reqd": 0},
		],
	},
}


def _action(connection: str) -> dict | None:
	api = frappe.db.get_value(CONNECTION, connection, "api_provider")
	if api is None and not frappe.db.exists(CONNECTION, connection):
		raise frappe.DoesNotExistError(_("No Integration Connection {0}").format(connection))
	return TRY_ACTIONS.get(AREA_OF_PROVIDER.get(sidecar_provider(api)))


@frappe.whitelist()
def try_action(connection: str) -> dict | None:
	"""The test action the connection offers: `{area, label, fields}`, or None."""
	require_manager()
	frappe.has_permission(CONNECTION, "read", connection, throw=True)
	action = _action(connection)
	if not action:
		return None
	area = next(a for a, act in TRY_ACTIONS.items() if act is action)
	return {"area": area, "label": _(action["label"]), "fields": action["fields"]}


@frappe.whitelist(methods=["POST"])
def test_operation(connection: str, params: dict | str | None = None) -> dict:
	"""Run the connection's test action with `params` (the panel's fields)."""
	require_manager()
	frappe.has_permission(CONNECTION, "write", connection, throw=True)
	action = _action(connection)
	if not action:
		frappe.throw(_("Connection {0} offers no test action: set its API").format(connection))
	params = frappe.parse_json(params) if isinstance(params, str) else (params or {})
	allowed = {f["fieldname"] for f in action["fields"]}
	unknown = set(params) - allowed
	if unknown:
		frappe.throw(_("Unknown fields: {0}").format(", ".join(sorted(unknown))))
	missing = [f["label"] for f in action["fields"] if f["reqd"] and not params.get(f["fieldname"])]
	if missing:
		frappe.throw(_("Required: {0}").format(", ".join(missing)))
	return frappe.get_attr(action["method"])(connection, **{k: v for k, v in params.items() if v})
