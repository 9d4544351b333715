from frappe.model.document import Document


class IntegrationWebhookEvent(Document):
	pass
