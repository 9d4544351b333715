from frappe.model.document import Document


class IntegrationWebhookDeliveryAttempt(Document):
	pass
