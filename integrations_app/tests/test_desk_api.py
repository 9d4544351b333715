import json
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import frappe
from frappe.translate import MERGED_TRANSLATION_KEY, USER_TRANSLATION_KEY
from frappe.utils import get_system_timezone, now_datetime

from integrations_app.api import dashboard, settings, webhooks
from integrations_app.outbound import outbox
from integrations_app.sidecar import config_sync as endpoints
from integrations_app.sidecar.client import SidecarClient
from integrations_app.sitetime import to_iso_utc as to_site_iso
from integrations_app.tests.helpers import (
	DELIVERY,
	FakeSidecar,
	IntegrationsTestCase,
	configure_sidecar,
	make_webhook,
)
from integrations_app.timefmt import parse_iso8601, to_iso_utc


class TestWebhookActions(IntegrationsTestCase):
	def test_send_test_event_queues_a_delivery(self):
		webhook = make_webhook(events=["after_insert"])
		delivery = webhooks.send_test_event(webhook=webhook.name)["delivery"]
		row = frappe.db.get_value(DELIVERY, delivery, ["webhook", "event_type", "status", "payload"], as_dict=True)
		self.assertEqual((row.webhook, row.event_type, row.status), (webhook.name, "todo.test", "Queued"))
		self.assertTrue(json.loads(row.payload)["test"])

	def test_rotate_secret_keeps_previous_for_a_day(self):
		webhook = make_webhook(events=["after_insert"])
		old = webhook.get_password("secret")
		result = webhooks.rotate_secret(webhook=webhook.name)
		webhook.reload()
		self.assertTrue(result["ok"])
		self.assertNotEqual(webhook.get_password("secret"), old)
		self.assertEqual(webhook.get_password("previous_secret"), old)
		config = endpoints.webhook_config(webhook)
		self.assertEqual(config["secrets"][0], webhook.get_password("secret"))
		self.assertEqual(config["secrets"][1]["value"], old)
		self.assertTrue(config["secrets"][1]["expires_at"].endswith("Z"))

	def test_pause_and_resume(self):
		webhook = make_webhook(events=["after_insert"])
		self.assertEqual(webhooks.set_paused(webhook=webhook.name, paused=True), {"status": "Paused"})
		webhook.reload()
		self.assertFalse(endpoints.webhook_config(webhook)["enabled"])
		frappe.db.set_value("Integration Webhook", webhook.name, {"status": "Auto-disabled", "disabled_reason": "410"})
		self.assertEqual(webhooks.set_paused(webhook=webhook.name, paused=False), {"status": "Active"})
		self.assertIsNone(frappe.db.get_value("Integration Webhook", webhook.name, "disabled_reason"))

	def test_endpoint_config_shape(self):
		webhook = make_webhook(
			events=["after_insert"],
			signing="Frappe-compatible",
			headers=[{"key": "X-Api-Key", "value": "k-123"}],
			retry_schedule="10, 20",
			rate_limit_per_s=5,
			ordered=1,
		)
		webhook.reload()
		config = endpoints.webhook_config(webhook)
		self.assertEqual(config["signing"], "frappe")
		self.assertEqual(config["headers"], {"X-Api-Key": "k-123"})
		self.assertEqual(config["retry_schedule_s"], [10, 20])
		self.assertEqual(config["rate_limit_per_s"], 5.0)
		self.assertTrue(config["ordered"])
		self.assertNotIn("max_in_flight", config)
		self.assertEqual(len(config["secrets"]), 1)

	def test_sync_puts_the_endpoint(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			webhook = make_webhook(events=["after_insert"])
			self.assertTrue(endpoints.sync_webhook(webhook.name, SidecarClient.from_settings()))
		[put] = [r for r in sidecar.requests if r["method"] == "PUT"]
		self.assertEqual(put["path"], f"/v1/endpoints/{webhook.name}")
		self.assertTrue(put["body"]["secrets"][0].startswith("whsec_"))
		self.assertEqual(frappe.db.get_value("Integration Webhook", webhook.name, "sidecar_synced"), 1)

	def test_unreachable_sidecar_keeps_row_unsynced(self):
		configure_sidecar("http://127.0.0.1:9")  # discard port: nothing listens
		webhook = make_webhook(events=["after_insert"])
		names = outbox.insert_deliveries([{"webhook": webhook.name, "event_type": "todo.test", "payload": "{}"}])
		outbox.repush_unacked()  # must not raise
		self.assertEqual(frappe.db.get_value(DELIVERY, names[0], "acked"), 0)
		self.assertEqual(frappe.db.get_value("Integration Webhook", webhook.name, "sidecar_synced"), 0)


class TestRecoverFailedTimeZones(IntegrationsTestCase):
	"""The SPA runs in the browser's time zone, the site in System Settings' (RESULTS.md: a browser
	on UTC sent 02:24 meaning 02:24 UTC, the server read it as 02:24 Kolkata, 5.5 h off)."""

	def recover(self, **window) -> str:
		with FakeSidecar() as sidecar:
			sidecar.respond = lambda method, path, body: (202, {})
			configure_sidecar(sidecar.url)
			webhook = make_webhook(events=["after_insert"])
			webhooks.recover_failed(webhook=webhook.name, **window)
		[call] = [r for r in sidecar.requests if r["path"].endswith("/recover")]
		return call["body"]["since"]

	def test_last_n_hours_is_counted_on_the_server(self):
		sent = parse_iso8601(self.recover(hours=6))
		expected = datetime.now(timezone.utc) - timedelta(hours=6)
		self.assertLess(abs((sent - expected).total_seconds()), 60)

	def test_a_utc_instant_is_the_same_instant_on_a_site_in_another_zone(self):
		instant = (datetime.now(timezone.utc) - timedelta(hours=3)).replace(microsecond=0)
		# Both clocks move to the other zone: ours (sitetime) and Frappe's now_datetime().
		other = "Pacific/Auckland" if frappe.utils.get_system_timezone() == "Asia/Kolkata" else "Asia/Kolkata"
		with (
			patch("integrations_app.sitetime.get_system_timezone", return_value=other),
			patch("frappe.utils.data.get_system_timezone", return_value=other),
		):
			sent = self.recover(since=to_iso_utc(instant))
		self.assertEqual(parse_iso8601(sent), instant)

	def test_naive_since_is_site_local(self):
		local = (now_datetime() - timedelta(hours=2)).replace(microsecond=0)
		sent = self.recover(since=str(local))
		self.assertEqual(sent, to_site_iso(local))

	def test_window_must_be_given_once_and_in_the_past(self):
		webhook = make_webhook(events=["after_insert"])
		for window in ({}, {"hours": 0}, {"since": "soon"}, {"since": "2999-01-01T00:00:00Z"}, {"hours": 1, "since": "2024-01-01 00:00:00"}):
			with self.assertRaises(frappe.ValidationError, msg=window):
				webhooks.recover_failed(webhook=webhook.name, **window)


class TestDashboardAndSettings(IntegrationsTestCase):
	def test_delivery_overview_shape(self):
		webhook = make_webhook(events=["after_insert"])
		outbox.insert_deliveries(
			[{"webhook": webhook.name, "event_type": "todo.created", "payload": "{}", "status": "Failed"}]
		)
		result = dashboard.delivery_overview(minutes=5)
		self.assertEqual(len(result["buckets"]), 5)
		self.assertEqual(set(result["buckets"][-1]), {"minute", "succeeded", "failed", "retrying"})
		self.assertGreaterEqual(result["totals"]["failed"], 1)
		self.assertGreaterEqual(sum(b["failed"] for b in result["buckets"]), 1)

	def test_delivery_overview_counts_stream_rows_apart_from_webhook_deliveries(self):
		from integrations_app.tests.test_streams import make_stream

		before = dashboard.delivery_overview(minutes=5)
		webhook = make_webhook(events=["after_insert"])
		stream = make_stream("t-overview")
		outbox.insert_deliveries(
			[
				{"webhook": webhook.name, "event_type": "todo.created", "payload": "{}", "status": "Succeeded"},
				{"stream": stream.name, "event_type": "todo.created", "payload": "{}", "status": "Succeeded"},
				{"stream": stream.name, "event_type": "todo.created", "payload": "{}", "status": "Succeeded"},
			]
		)
		after = dashboard.delivery_overview(minutes=5)
		self.assertEqual(after["totals"]["succeeded"] - before["totals"]["succeeded"], 1)
		self.assertEqual(after["stream_totals"]["succeeded"] - before["stream_totals"]["succeeded"], 2)
		self.assertEqual(
			sum(b["succeeded"] for b in after["buckets"]) - sum(b["succeeded"] for b in before["buckets"]), 1
		)

	def test_delivery_detail_has_attempts(self):
		webhook = make_webhook(events=["after_insert"], title="Orders to the warehouse")
		[name] = outbox.insert_deliveries([{"webhook": webhook.name, "event_type": "todo.created", "payload": "{}"}])
		detail = dashboard.delivery_detail(delivery=name)
		self.assertEqual(detail["name"], name)
		self.assertEqual(detail["attempts"], [])
		self.assertEqual((detail["webhook"], detail["webhook_title"]), (webhook.name, "Orders to the warehouse"))

	def test_failing_now_counts_only_deliveries_whose_latest_status_is_failed(self):
		webhook = make_webhook(events=["after_insert"])
		healthy = make_webhook(events=["after_insert"])
		row = {"webhook": webhook.name, "event_type": "todo.created", "payload": "{}", "status": "Failed"}
		still_failed, replayed, recovered = outbox.insert_deliveries([dict(row), dict(row), dict(row)])
		outbox.insert_deliveries([{**row, "webhook": healthy.name, "status": "Succeeded"}])
		# a replay and a recovery take the row back through the queue: failing no more
		frappe.db.set_value(DELIVERY, replayed, "status", "Succeeded")
		frappe.db.set_value(DELIVERY, recovered, "status", "Retrying")

		failing = webhooks.failing_now()
		self.assertEqual(failing[webhook.name], 1)
		self.assertNotIn(healthy.name, failing)

	def test_failing_now_needs_read_permission_on_deliveries(self):
		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.PermissionError):
				webhooks.failing_now()
		finally:
			frappe.set_user("Administrator")

	def test_test_sidecar(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			result = settings.test_sidecar()
		self.assertTrue(result["ok"])
		self.assertEqual(result["health"], {"status": "ok", "redis": "ok"})
		self.assertIsInstance(result["latency_ms"], int)
		self.assertTrue(json.loads(frappe.db.get_single_value("Integration Settings", "last_health"))["ok"])

		configure_sidecar("http://127.0.0.1:9")
		result = settings.test_sidecar()
		self.assertFalse(result["ok"])
		self.assertIn("Cannot connect", result["error"])
		self.assertNotIn("test-sidecar-token", result["error"])


REFUSAL = "Only Integration Managers and System Managers can open Integrations"


@contextmanager
def german(source: str, translated: str):
	"""The session in German, with one translation from the Translation doctype."""
	frappe.get_doc({"doctype": "Translation", "language": "de", "source_text": source, "translated_text": translated}).insert(
		ignore_permissions=True
	)
	frappe.local.lang = "de"
	try:
		yield
	finally:
		frappe.local.lang = "en"
		# the rolled-back row must not outlive the test in the translation caches
		frappe.cache.hdel(USER_TRANSLATION_KEY, "de")
		frappe.cache.hdel(MERGED_TRANSLATION_KEY, "de")


class TestSpaPage(IntegrationsTestCase):
	def test_guest_is_sent_to_login(self):
		from integrations_app.www import integrations

		frappe.set_user("Guest")
		try:
			with self.assertRaises(frappe.Redirect):
				integrations.get_context(frappe._dict())
			self.assertEqual(frappe.flags.redirect_location, "/login?redirect-to=%2Fintegrations")
		finally:
			frappe.set_user("Administrator")

	def test_boot_has_the_site_time_zone(self):
		from integrations_app.www import integrations

		with patch.object(frappe.db, "commit", lambda: None):  # get_context saves the session's CSRF token
			context = integrations.get_context(frappe._dict())
		self.assertEqual(context.boot["time_zone"], get_system_timezone())
		self.assertTrue(context.boot["csrf_token"])

	def test_boot_has_the_translations_of_the_users_language(self):
		from integrations_app.www import integrations

		with german(REFUSAL, "Nur für Integrationsverwalter"):
			with patch.object(frappe.db, "commit", lambda: None):  # get_context saves the session's CSRF token
				boot = integrations.get_context(frappe._dict()).boot
		self.assertEqual(boot["lang"], "de")
		self.assertEqual(boot["__messages"][REFUSAL], "Nur für Integrationsverwalter")

	def test_the_refusal_is_in_the_users_language(self):
		from integrations_app.www import integrations

		email = "ia-no-role@example.com"
		user = (
			frappe.get_doc("User", email)
			if frappe.db.exists("User", email)
			else frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": "No role", "send_welcome_email": 0}
			).insert(ignore_permissions=True)
		)
		# on a fresh site Frappe makes the first user it creates a System Manager
		frappe.db.delete("Has Role", {"parent": user.name})
		frappe.clear_cache(user=user.name)
		self.assertNotIn("System Manager", frappe.get_roles(user.name))
		with german(REFUSAL, "Nur für Integrationsverwalter"):
			frappe.set_user(user.name)
			try:
				with self.assertRaises(frappe.PermissionError) as refused:
					integrations.get_context(frappe._dict())
			finally:
				frappe.set_user("Administrator")
		self.assertEqual(str(refused.exception), "Nur für Integrationsverwalter")

