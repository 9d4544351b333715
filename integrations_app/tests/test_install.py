import frappe

from integrations_app import install
from integrations_app.tests.helpers import IntegrationsTestCase


class TestInstall(IntegrationsTestCase):
	def test_before_install_drops_a_module_map_cached_before_the_app_was_added(self):
		# what a bench that was running during `bench get-app` holds: the map without this app
		stale = {app: mods for app, mods in frappe.local.app_modules.items() if app != "integrations_app"}
		frappe.cache.set_value("app_modules", stale)
		frappe.local.app_modules = stale
		try:
			install.before_install()
			self.assertIn("integrations_app", frappe.local.app_modules["integrations_app"])
			self.assertEqual(frappe.local.module_app["integrations_app"], "integrations_app")
		finally:
			frappe.cache.delete_value("app_modules")
			frappe.setup_module_map()
