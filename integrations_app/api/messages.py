"""The SPA's Messages page: emails and SMS sent through connections, with their statuses
(Integration Message). Live updates arrive as realtime `integrations_message` events carrying
rows of the same shape as `list_messages` (`messaging/messages.py: publish`).

Times are as Frappe keeps them: naive, in the System Settings time zone."""

import frappe
from frappe.utils import cint

from integrations_app.messaging.messages import LIST_FIELDS, MESSAGE, summary
from integrations_app.messaging.rules.message_status import STATUSES
from integrations_app.permissions import require_manager

CHANNELS = ("Email", "SMS")
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
		if channel not in CHANNELS:
			frappe.throw(frappe._("Channel is Email or SMS"))
		filters["channel"] = channel
	if connection:
		filters["connection"] = connection
	return frappe.get_list(MESSAGE, filters=filters, fields=list(LIST_FIELDS), order_by="creation desc", limit_page_length=max(1, min(cint(limit) or 50, MAX_LIMIT)))


@frappe.whitelist()
def get_message(name: str) -> dict:
	"""One message (a list row, plus its sender) with its events timeline in the order they arrived."""
	require_manager()
	doc = frappe.get_doc(MESSAGE, name)
	doc.check_permission("read")
	out = summary(doc.name)
	out["sender"] = doc.sender
	out["events"] = [{"event": e.event, "status": e.status, "at": e.at, "detail": e.detail} for e in doc.events]
	return out
