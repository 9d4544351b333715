import frappe
from frappe.tests.utils import FrappeTestCase

INBOUND_EVENT = "Integration Inbound Event"


class TestIntegrationInboundEvent(FrappeTestCase):
	def test_unique_constraint_exists(self):
		self.assertTrue(
			frappe.db.sql(
				"""select 1 from information_schema.TABLE_CONSTRAINTS where table_schema = database()
				and table_name = %s and constraint_type = 'UNIQUE' and constraint_name = 'unique_endpoint_provider_event'""",
				(f"tab{INBOUND_EVENT}",),
			)
		)

	def test_read_only_for_users(self):
		permissions = frappe.get_meta(INBOUND_EVENT).permissions
		self.assertTrue(permissions, "someone must be able to read the events")
		for perm in permissions:
			self.assertFalse(perm.write or perm.create, perm.role)
