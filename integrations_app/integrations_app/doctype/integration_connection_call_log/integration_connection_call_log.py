import frappe
from frappe.model.document import Document

CALL_LOG = "Integration Connection Call Log"


class IntegrationConnectionCallLog(Document):
	pass


def on_doctype_update():
	# a connection's newest failures (desk form, the SPA's last failures) and the daily cleanup
	frappe.db.add_index(CALL_LOG, ["connection", "creation"])
	frappe.db.add_index(CALL_LOG, ["creation"])
