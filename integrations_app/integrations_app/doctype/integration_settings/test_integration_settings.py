import frappe

from integrations_app.retention import RETENTION_DEFAULTS
from integrations_app.tests.helpers import IntegrationsTestCase


class TestIntegrationSettings(IntegrationsTestCase):
	def settings(self, **values):
		doc = frappe.get_single("Integration Settings")
		doc.update(values)
		return doc

	def test_defaults_are_installed(self):
		doc = frappe.get_single("Integration Settings")
		self.assertTrue(doc.sidecar_url)
		for field, days in RETENTION_DEFAULTS.items():
			self.assertGreaterEqual(doc.get(field), 1, field)
			self.assertEqual(frappe.get_meta("Integration Settings").get_field(field).default, str(days))

	def test_validation(self):
		for values in (
			{"sidecar_url": "localhost:8787"},
			{"default_retry_schedule": "5,x"},
			{"default_timeout_ms": 10},
			{"retain_succeeded_days": 0},
			{"retain_no_handler_days": 0},
			{"site_public_url": "hooks.example.com"},
		):
			with self.assertRaises(frappe.ValidationError, msg=str(values)):
				self.settings(**values).save(ignore_permissions=True)

	def test_normalisation(self):
		doc = self.settings(sidecar_url="http://127.0.0.1:8787/", default_retry_schedule="5, 10", outbound_allow_hosts="A.internal, b.internal")
		doc.save(ignore_permissions=True)
		self.assertEqual(doc.sidecar_url, "http://127.0.0.1:8787")
		self.assertEqual(doc.default_retry_schedule, "5,10")
		self.assertEqual(doc.outbound_allow_hosts, "a.internal\nb.internal")
