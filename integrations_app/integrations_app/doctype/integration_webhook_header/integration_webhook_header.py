from frappe.model.document import Document


class IntegrationWebhookHeader(Document):
	pass
