from frappe.model.document import Document


class IntegrationStreamToken(Document):
	# Written only by integrations_app.streams.tokens (no role may create or edit a token).
	pass
