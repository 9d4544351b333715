import frappe
from frappe.model.document import Document

PAYMENT = "Integration Payment"


class IntegrationPayment(Document):
	"""Written only by integrations_app.payments (statuses come from the provider); see ledger.py."""


def on_doctype_update():
	# the site's document's payments, and the Payments log (newest first, by status)
	frappe.db.add_index(PAYMENT, ["reference_doctype", "reference_name"])
	frappe.db.add_index(PAYMENT, ["creation"])
