import frappe
from frappe.model.document import Document

RUN = "Integration Sync Run"


class IntegrationSyncRun(Document):
	pass


def on_doctype_update():
	# the desk's run history of one profile, newest first
	frappe.db.add_index(RUN, ["profile", "creation"])
