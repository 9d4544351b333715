import frappe
from frappe.model.document import Document

INBOUND_EVENT = "Integration Inbound Event"


class IntegrationInboundEvent(Document):
	pass


def on_doctype_update():
	# dedup key of receive_inbound_events: the same provider event is stored once per endpoint
	frappe.db.add_unique(INBOUND_EVENT, ["endpoint", "provider_event_id"], constraint_name="unique_endpoint_provider_event")
	frappe.db.add_index(INBOUND_EVENT, ["status", "creation"])
	# the SPA's event list, newest first (frontend/src/data/inbound.ts)
	frappe.db.add_index(INBOUND_EVENT, ["received_at"])
