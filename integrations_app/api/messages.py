"""The SPA's Messages page: emails and SMS sent through connections, with their statuses
(Integration Message). Live updates arrive as realtime `integrations_message` events."""

import frappe
from frappe.utils import cint

from integrations_app.messaging.messages import MESSAGE
from integrations_app.messaging.rules.message_status import STATUSES
from integrations_app.permissions import require_manager
from integrations_app.timefmt import utc_naive_to_iso

FIELDS = ["name", "connection", "channel", "provider", "provider_message_id", "status", "status_detail", "recipient", "subject", "sent_at", "status_at", "reference_doctype", "reference_name"]
MAX_LIMIT = 200


@frappe.whitelist()
def list_messages(status: str | None = None, channel: str | None = None, connection: str | None = None, limit: int = 50) -> list[dict]:
	"""Newest first. Filters: `status` (Queued, Sent, Delivered…), `channel` (Email, SMS), `connection`."""
	require_manager()
	filters = {}
	if status:
		if status not in STATUSES:
			frappe.throw(frappe._("Unknown status {0}").format(status))
		filters["status"] = status
	if channel:
		if channel not in ("Email", "SMS"):
			frappe.throw(frappe._("Channel is Email or SMS"))
		filters["channel"] = channel
	if connection:
		filters["connection"] = connection
	rows = frappe.get_list(MESSAGE, filters=filters, fields=FIELDS, order_by="creation desc", limit_page_length=max(1, min(cint(limit) or 50, MAX_LIMIT)))
	for row in rows:
		row["sent_at"] = utc_naive_to_iso(row["sent_at"])
		row["status_at"] = utc_naive_to_iso(row["status_at"])
	return rows


@frappe.whitelist()
def get_message(name: str) -> dict:
	"""One message with its events timeline."""
	require_manager()
	doc = frappe.get_doc(MESSAGE, name)
	doc.check_permission("read")
	out = {f: doc.get(f) for f in FIELDS}
	out["sent_at"], out["status_at"] = utc_naive_to_iso(doc.sent_at), utc_naive_to_iso(doc.status_at)
	out["events"] = [{"event": e.event, "status": e.status, "at": utc_naive_to_iso(e.at), "detail": e.detail} for e in doc.events]
	return out
