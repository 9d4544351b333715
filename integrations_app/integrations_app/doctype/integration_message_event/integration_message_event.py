from frappe.model.document import Document


class IntegrationMessageEvent(Document):
	pass
