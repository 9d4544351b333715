from frappe.model.document import Document


class IntegrationSyncFieldMap(Document):
	pass
