import frappe
from frappe.tests.utils import FrappeTestCase

from integrations_app.outbound.rules.naming import DOC_EVENTS


class TestIntegrationWebhookEvent(FrappeTestCase):
	def test_options_match_supported_events(self):
		options = frappe.get_meta("Integration Webhook Event").get_field("event").options.split("\n")
		self.assertEqual(tuple(options), DOC_EVENTS)
