"""What `bench uninstall-app integrations_app` removes besides the DocTypes (uninstall.py). Each
step runs inside the test's transaction (rolled back after), the sidecar is a fake one."""

import frappe

from integrations_app import uninstall
from integrations_app.inbound import events
from integrations_app.outbound import webhook_map
from integrations_app.sidecar import config_sync
from integrations_app.hooks import after_uninstall, before_uninstall
from integrations_app.permissions import INTEGRATION_MANAGER
from integrations_app.tests.helpers import FakeSidecar, IntegrationsTestCase, configure_sidecar, make_webhook


class TestUninstall(IntegrationsTestCase):
	def test_hooks_are_registered(self):
		self.assertEqual(before_uninstall, "integrations_app.uninstall.before_uninstall")
		self.assertEqual(after_uninstall, "integrations_app.uninstall.after_uninstall")

	def test_sidecar_endpoints_are_deleted(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			webhook = make_webhook().name
			frappe.get_doc({"doctype": "Integration Inbound Endpoint", "slug": "uninstall-test", "provider": "github", "secret": "s"}).insert(
				ignore_permissions=True
			)
			frappe.get_doc(
				{"doctype": "Integration Stream", "title": "t", "stream_id": "uninstall-stream", "sources": [{"reference_doctype": "ToDo", "event": "after_insert"}]}
			).insert(ignore_permissions=True)
			self.assertEqual(uninstall.remove_sidecar_endpoints(), [])
			deleted = {(r["method"], r["path"]) for r in sidecar.requests}
			self.assertIn(("DELETE", f"/v1/endpoints/{webhook}"), deleted)
			self.assertIn(("DELETE", "/v1/inbound-endpoints/uninstall-test"), deleted)
			self.assertIn(("DELETE", "/v1/streams/uninstall-stream"), deleted)

			sidecar.respond = lambda method, path, body: FakeSidecar.DROP
			left = uninstall.remove_sidecar_endpoints()
			self.assertIn(f"Integration Webhook {webhook}", left)

	def test_role_and_everything_granting_it_go(self):
		user = frappe.get_doc({"doctype": "User", "email": "uninstall-test@example.com", "first_name": "U", "send_welcome_email": 0}).insert(
			ignore_permissions=True
		)
		user.add_roles(INTEGRATION_MANAGER)
		self.assertTrue(frappe.db.exists("DocPerm", {"role": INTEGRATION_MANAGER}))
		uninstall.remove_role()
		self.assertFalse(frappe.db.exists("Role", INTEGRATION_MANAGER))
		for doctype in ("Has Role", "DocPerm", "Custom DocPerm"):
			self.assertFalse(frappe.db.exists(doctype, {"role": INTEGRATION_MANAGER}), doctype)

	def test_scheduled_jobs_go(self):
		self.assertTrue(frappe.db.exists("Scheduled Job Type", {"method": "integrations_app.retention.cleanup"}))
		uninstall.remove_scheduled_jobs()
		self.assertFalse(frappe.db.exists("Scheduled Job Type", {"method": ("like", "integrations_app.%")}))
		self.assertTrue(frappe.db.exists("Scheduled Job Type", {"method": ("like", "frappe.%")}))

	def test_secrets_and_settings_rows_go(self):
		make_webhook()  # its signing secret lives in __Auth
		doctypes = uninstall.app_doctypes()
		self.assertIn("Integration Settings", doctypes)
		self.assertIn("Integration Webhook Delivery Attempt", doctypes)
		singles = "select 1 from `tabSingles` where doctype = 'Integration Settings' limit 1"
		self.assertTrue(frappe.db.sql(singles))
		self.assertTrue(frappe.db.sql("select 1 from `__Auth` where doctype = 'Integration Webhook' limit 1"))
		uninstall.remove_rows_about(doctypes)
		self.assertFalse(frappe.db.sql(singles))
		self.assertFalse(frappe.db.sql("select 1 from `__Auth` where doctype in %s limit 1", (tuple(doctypes),)))
		self.assertTrue(frappe.db.sql("select 1 from `__Auth` where doctype = 'User' limit 1"), "others' secrets stay")

	def test_redis_keys_under_the_prefix_go(self):
		prefix = f"integrations_app:test_uninstall:{frappe.generate_hash(length=8)}"  # not the site's live keys
		frappe.cache.set_value(f"{prefix}:a", 1)
		frappe.cache.sadd(f"{prefix}:b", "x")  # a set, like config_sync's pending deletes
		frappe.cache.set_value("other_app:key", 1)
		self.addCleanup(frappe.cache.delete_value, "other_app:key")
		self.assertEqual(uninstall.remove_redis_keys(prefix), 2)
		self.assertIsNone(frappe.cache.get_value(f"{prefix}:a"))
		self.assertEqual(frappe.cache.get_value("other_app:key"), 1)
		for key in (config_sync.PENDING_DELETES_KEY, webhook_map.CACHE_KEY, events.JOB_WAITING_KEY):
			self.assertTrue(key.startswith(uninstall.REDIS_PREFIX), key)
