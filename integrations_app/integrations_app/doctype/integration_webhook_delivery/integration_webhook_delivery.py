import frappe
from frappe.model.document import Document

from integrations_app.outbound.rules.naming import new_message_id

DELIVERY = "Integration Webhook Delivery"


class IntegrationWebhookDelivery(Document):
	# Rows are normally written in bulk by integrations_app.outbound.outbox; this covers doc.insert().
	def autoname(self):
		self.name = new_message_id()


def on_doctype_update():
	# the outbox scans (re-push, reconcile) and the per-webhook lists
	frappe.db.add_index(DELIVERY, ["status", "acked", "creation"])
	frappe.db.add_index(DELIVERY, ["webhook", "status", "creation"])
	# a stream's live tail, newest first, and its last event
	frappe.db.add_index(DELIVERY, ["stream", "creation"])
	frappe.db.add_index(DELIVERY, ["reference_doctype", "reference_name"])
	# the delivery log filtered by status, newest change first: a rare status (Retrying, Sending)
	# would otherwise walk the modified index through thousands of other rows; `stream` last so
	# the dashboard tells webhook deliveries from stream rows off this index alone
	frappe.db.add_index(DELIVERY, ["status", "modified", "stream"])
	# "event type contains" in the SPA: the distinct types (loose scan), then an `in` range;
	# event_type never changes after the insert, so status reports never touch this index
	frappe.db.add_index(DELIVERY, ["event_type"])
