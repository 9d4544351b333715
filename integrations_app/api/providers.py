"""Desk's "Try it" panel: one test action per provider area, on a connection's card.

`TEST_ACTIONS` maps an area (`providers.catalogue.AREAS`) to the function that runs its test:
`action(connection, params) -> dict` with at least `ok` and `summary` (a sentence for the
panel); the SPA shows the rest as details. Each area's module adds its one entry.
"""

import json

import frappe
from frappe import _

from integrations_app.connections import errors
from integrations_app.connections.config import CONNECTION
from integrations_app.permissions import require_manager
from integrations_app.providers.catalogue import area_of

TEST_ACTIONS: dict[str, str] = {
	"payments": "integrations_app.payments.tryit.create_test_payment",
	"storage": "integrations_app.file_storage.tryit.upload_test_file",
	"email": "integrations_app.messaging.tryit.send_test_email",
	"sms": "integrations_app.messaging.tryit.send_test_sms",
}


@frappe.whitelist(methods=["POST"])
def test_operation(connection: str, params: dict | str | None = None) -> dict:
	"""Run the test action of the connection's area (e.g. "Create test payment") →
	`{ok, area, summary, …}`; a provider's refusal is `ok: false` with its message."""
	require_manager()
	doc = frappe.get_doc(CONNECTION, connection)
	doc.check_permission("write")
	area = area_of(doc.api_provider)
	if not area:
		frappe.throw(_("Set the connection's API to try it"))
	action = TEST_ACTIONS.get(area)
	if not action:
		frappe.throw(_("There is no test action for {0} connections yet").format(area))
	if isinstance(params, str):
		params = json.loads(params or "{}")
	if params is not None and not isinstance(params, dict):
		frappe.throw(_("params must be an object"))
	try:
		return {"area": area, **frappe.get_attr(action)(doc.name, params or {})}
	except errors.CallError as e:
		return {"ok": False, "area": area, "summary": str(e), "code": e.code}
