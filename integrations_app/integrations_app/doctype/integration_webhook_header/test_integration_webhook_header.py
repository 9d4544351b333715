import frappe

from integrations_app.tests.helpers import IntegrationsTestCase, make_webhook


class TestIntegrationWebhookHeader(IntegrationsTestCase):
	def test_value_is_encrypted(self):
		webhook = make_webhook(headers=[{"key": "Authorization", "value": "Bearer abc"}])
		row = webhook.headers[0]
		stored = frappe.db.get_value("Integration Webhook Header", row.name, "value")
		self.assertNotIn("abc", stored or "")
		self.assertEqual(row.get_password("value"), "Bearer abc")
