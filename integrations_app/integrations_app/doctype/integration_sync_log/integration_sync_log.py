import frappe
from frappe.model.document import Document

LOG = "Integration Sync Log"


class IntegrationSyncLog(Document):
	pass


def on_doctype_update():
	# One row per remote record and profile: what stops a retried or concurrent write from
	# creating a second row (and the engine a second remote record). Empty ids are stored as
	# NULL, which a unique index lets repeat.
	frappe.db.add_unique(LOG, ["profile", "external_id"], constraint_name="unique_profile_external_id")
	frappe.db.add_index(LOG, ["profile", "local_name"])
	frappe.db.add_index(LOG, ["profile", "status"])
