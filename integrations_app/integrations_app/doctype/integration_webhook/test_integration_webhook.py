import frappe

from integrations_app.outbound.rules.signing import decode_standard_secret
from integrations_app.outbound.webhook_map import get_webhook_map
from integrations_app.tests.helpers import IntegrationsTestCase, make_webhook


class TestIntegrationWebhook(IntegrationsTestCase):
	def test_standard_secret_is_generated(self):
		webhook = make_webhook()
		self.assertEqual(len(decode_standard_secret(webhook.get_password("secret"))), 32)
		self.assertEqual(webhook.sidecar_synced, 0)

	def test_frappe_mode_secret_is_plain(self):
		webhook = make_webhook(signing="Frappe-compatible")
		self.assertFalse(webhook.get_password("secret").startswith("whsec_"))

	def test_bad_standard_secret_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(secret="not-a-whsec-secret")

	def test_no_secret_without_signing(self):
		self.assertFalse(make_webhook(signing="None").secret)

	def test_submit_events_need_a_submittable_doctype(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(events=["on_submit"])

	def test_duplicate_events_collapse(self):
		self.assertEqual([e.event for e in make_webhook(events=["on_update", "on_update"]).events], ["on_update"])

	def test_child_table_doctype_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(reference_doctype="Has Role")

	def test_condition_syntax(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(condition="doc.status ==")

	def test_url(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(url="ftp://example.com/x")

	def test_reserved_and_duplicate_headers(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(headers=[{"key": "Webhook-Signature", "value": "x"}])
		with self.assertRaises(frappe.ValidationError):
			make_webhook(headers=[{"key": "X-A", "value": "1"}, {"key": "x-a", "value": "2"}])

	def test_payload_fields_must_exist(self):
		with self.assertRaises(frappe.ValidationError):
			make_webhook(payload_type="Fields", payload_fields="description\nno_such_field")

	def test_retry_schedule_is_normalised(self):
		self.assertEqual(make_webhook(retry_schedule=" 5, 60 ").retry_schedule, "5,60")
		with self.assertRaises(frappe.ValidationError):
			make_webhook(retry_schedule="5,soon")

	def test_webhook_map_follows_changes(self):
		webhook = make_webhook(events=["after_insert"])
		self.assertIn(webhook.name, [w["name"] for w in get_webhook_map().get("ToDo", [])])
		webhook.status = "Disabled"
		webhook.save()
		self.assertNotIn(webhook.name, [w["name"] for w in get_webhook_map().get("ToDo", [])])

	def test_delete_leaves_the_delivery_log_to_a_background_purge(self):
		"""Deleting a webhook must not delete its deliveries in the user's transaction: the
		sidecar's report_deliveries locks those rows (deadlock on a real bench)."""
		from unittest.mock import patch

		from integrations_app.outbound import outbox

		webhook = make_webhook()
		names = outbox.insert_deliveries(
			[{"webhook": webhook.name, "event_type": "todo.test", "payload": "{}"} for _ in range(3)]
		)
		statements = []
		original_sql = frappe.db.sql

		def sql(query, *args, **kwargs):
			statements.append(str(query))
			return original_sql(query, *args, **kwargs)

		with patch.object(frappe.db, "sql", sql), patch("frappe.enqueue") as enqueue:
			webhook.delete()

		self.assertFalse(frappe.db.exists("Integration Webhook", webhook.name))
		self.assertEqual(frappe.db.count("Integration Webhook Delivery", {"name": ("in", names)}), 3)
		touched = [q for q in statements if "Integration Webhook Delivery" in q and not q.lstrip().lower().startswith("select")]
		self.assertEqual(touched, [], "no delivery rows written or locked in the delete's transaction")
		[purge] = [c for c in enqueue.call_args_list if c.args == ("integrations_app.retention.purge_log",)]
		self.assertTrue(purge.kwargs["enqueue_after_commit"], "no purge if the delete rolls back")
		self.assertEqual((purge.kwargs["owner_doctype"], purge.kwargs["owner"]), ("Integration Webhook", webhook.name))
