import frappe
from frappe.model.document import Document

MESSAGE = "Integration Message"


class IntegrationMessage(Document):
	pass


def on_doctype_update():
	# the provider's events find their message by (provider, id); one row per sent message
	frappe.db.add_unique(MESSAGE, ["provider", "provider_message_id"], constraint_name="unique_provider_message")
	# the SPA's Messages page, newest first, filtered by status
	frappe.db.add_index(MESSAGE, ["status", "creation"])
