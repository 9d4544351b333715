import frappe
from frappe.tests.utils import FrappeTestCase

from integrations_app.outbound.rules.outcomes import ATTEMPT_FIELDS


class TestIntegrationWebhookDeliveryAttempt(FrappeTestCase):
	def test_has_every_reported_field(self):
		meta = frappe.get_meta("Integration Webhook Delivery Attempt")
		self.assertTrue(meta.istable)
		for fieldname in ("attempt_no", *ATTEMPT_FIELDS):
			self.assertTrue(meta.has_field(fieldname), fieldname)
