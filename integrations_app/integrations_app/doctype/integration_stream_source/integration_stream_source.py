from frappe.model.document import Document


class IntegrationStreamSource(Document):
	pass
