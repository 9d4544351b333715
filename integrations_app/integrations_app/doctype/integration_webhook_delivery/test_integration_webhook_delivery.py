import frappe
from frappe.tests.utils import FrappeTestCase

from integrations_app.outbound.rules.naming import is_message_id

DELIVERY = "Integration Webhook Delivery"


class TestIntegrationWebhookDelivery(FrappeTestCase):
	def test_autoname_is_a_message_id(self):
		doc = frappe.new_doc(DELIVERY)
		doc.autoname()
		self.assertTrue(is_message_id(doc.name), doc.name)

	def test_indexes_exist(self):
		for index in ("status_acked_creation_index", "webhook_status_creation_index"):
			self.assertTrue(frappe.db.has_index(f"tab{DELIVERY}", index), index)

	def test_read_only_for_users(self):
		permissions = frappe.get_meta(DELIVERY).permissions
		self.assertTrue(permissions, "someone must be able to read the deliveries")
		for perm in permissions:
			self.assertFalse(perm.write or perm.create, perm.role)
