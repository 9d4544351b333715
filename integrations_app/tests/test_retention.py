"""The daily cleanup keeps each finished status for its own retention, and never touches rows in
flight; the hourly reconcile repairs what the sidecar lost or never reported."""

from unittest.mock import patch

import frappe
from frappe.utils import add_days, now_datetime

from integrations_app import retention
from integrations_app.outbound import outbox
from integrations_app.tests.helpers import (
	DELIVERY,
	FakeSidecar,
	IntegrationsTestCase,
	configure_sidecar,
	make_webhook,
	simulated_transactions,
)

INBOUND_EVENT = "Integration Inbound Event"
B = 10_000  # days
ATTEMPT = "Integration Webhook Delivery Attempt"
SETTINGS = "Integration Settings"


def make_delivery(webhook: str, status: str, age_days: float, acked: int = 1, attempts: int = 1) -> str:
	[name] = outbox.insert_deliveries(
		[{"webhook": webhook, "event_type": "todo.created", "payload": "{}", "status": status}]
	)
	created = add_days(now_datetime(), -age_days)
	frappe.db.sql(
		f"update `tab{DELIVERY}` set creation = %s, modified = %s, acked = %s where name = %s",
		(created, created, acked, name),
	)
	for n in range(1, attempts + 1):
		frappe.get_doc(
			{"doctype": ATTEMPT, "parent": name, "parenttype": DELIVERY, "parentfield": "attempts", "attempt_no": n}
		).db_insert()
	return name


def make_event(endpoint: str, status: str, age_days: float) -> str:
	doc = frappe.get_doc(
		{
			"doctype": INBOUND_EVENT,
			"endpoint": endpoint,
			"provider": "github",
			"provider_event_id": frappe.generate_hash(length=12),
			"event_type": "push",
			"status": status,
		}
	)
	doc.db_insert()
	created = add_days(now_datetime(), -age_days)
	frappe.db.sql(f"update `tab{INBOUND_EVENT}` set creation = %s where name = %s", (created, doc.name))
	return doc.name


class TestCleanup(IntegrationsTestCase):
	def setUp(self):
		settings = frappe.get_single(SETTINGS)
		# Retentions longer than any real row's age (B is a base of ~27 years): the cleanup then
		# touches only this test's rows, however large the site's own log is.
		settings.update(
			{
				"retain_succeeded_days": B + 10,
				"retain_failed_days": B + 40,
				"retain_cancelled_days": B + 20,
				"retain_processed_days": B + 5,
				"retain_inbound_failed_days": B + 50,
				"retain_no_handler_days": B + 15,
			}
		)
		settings.save(ignore_permissions=True)
		self.webhook = make_webhook().name
		self.endpoint = (
			frappe.get_doc({"doctype": "Integration Inbound Endpoint", "slug": "retention-test", "provider": "github", "secret": "s"})
			.insert(ignore_permissions=True)
			.name
		)

	def exists(self, doctype, name) -> bool:
		return bool(frappe.db.exists(doctype, name))

	def test_each_delivery_status_has_its_own_retention(self):
		kept = {
			"young succeeded": make_delivery(self.webhook, "Succeeded", B + 9),
			"young failed": make_delivery(self.webhook, "Failed", B + 39),
			"young cancelled": make_delivery(self.webhook, "Cancelled", B + 19),
			"old queued": make_delivery(self.webhook, "Queued", B + 400, acked=0),
			"old sending": make_delivery(self.webhook, "Sending", B + 400),
			"old retrying": make_delivery(self.webhook, "Retrying", B + 400),
		}
		deleted = {
			"old succeeded": make_delivery(self.webhook, "Succeeded", B + 11, attempts=2),
			"old succeeded, never acked": make_delivery(self.webhook, "Succeeded", B + 11, acked=0),
			"old failed": make_delivery(self.webhook, "Failed", B + 41),
			"old cancelled": make_delivery(self.webhook, "Cancelled", B + 21, acked=0),
		}
		with simulated_transactions():
			counts = retention.cleanup()
		self.assertEqual({k for k, n in kept.items() if self.exists(DELIVERY, n)}, set(kept))
		self.assertEqual({k for k, n in deleted.items() if self.exists(DELIVERY, n)}, set())
		self.assertFalse(frappe.db.exists(ATTEMPT, {"parent": ("in", list(deleted.values()))}))
		self.assertTrue(frappe.db.exists(ATTEMPT, {"parent": kept["young failed"]}))
		# the site's own old rows may be deleted too (rolled back with the test)
		self.assertGreaterEqual(counts[f"{DELIVERY}: Succeeded"], 2)
		self.assertGreaterEqual(counts[f"{DELIVERY}: Failed"], 1)
		self.assertGreaterEqual(counts[f"{DELIVERY}: Cancelled"], 1)

	def test_each_inbound_status_has_its_own_retention(self):
		kept = {
			"young processed": make_event(self.endpoint, "Processed", B + 4),
			"young failed": make_event(self.endpoint, "Failed", B + 49),
			"young no handler": make_event(self.endpoint, "No Handler", B + 14),
			"old received": make_event(self.endpoint, "Received", B + 400),
			"old processing": make_event(self.endpoint, "Processing", B + 400),
		}
		deleted = {
			"old processed": make_event(self.endpoint, "Processed", B + 6),
			"old failed": make_event(self.endpoint, "Failed", B + 51),
			"old no handler": make_event(self.endpoint, "No Handler", B + 16),
		}
		with simulated_transactions():
			retention.cleanup()
		self.assertEqual({k for k, n in kept.items() if self.exists(INBOUND_EVENT, n)}, set(kept))
		self.assertEqual({k for k, n in deleted.items() if self.exists(INBOUND_EVENT, n)}, set())

	def test_deletes_in_committed_chunks(self):
		names = [make_delivery(self.webhook, "Succeeded", B + 11) for _ in range(5)]
		commits = []
		with simulated_transactions(), patch.object(retention, "CLEANUP_CHUNK", 2):
			real_commit = frappe.db.commit
			with patch.object(frappe.db, "commit", lambda: commits.append(1) or real_commit()):
				retention.cleanup()
		self.assertFalse(frappe.db.exists(DELIVERY, {"name": ("in", names)}))
		self.assertGreaterEqual(len(commits), 3)  # 5 rows, 2 a chunk

	def test_every_status_is_a_setting_with_a_default(self):
		meta = frappe.get_meta(SETTINGS)
		for field, days in retention.RETENTION_DEFAULTS.items():
			self.assertEqual(int(meta.get_field(field).default), days, field)
		self.assertEqual(
			{s for s, _, _ in retention.DELIVERY_RETENTION} | {"Queued", "Sending", "Retrying"},
			set(meta_options(DELIVERY, "status")),
		)
		self.assertEqual(
			{s for s, _, _ in retention.INBOUND_RETENTION} | {"Received", "Processing"},
			set(meta_options(INBOUND_EVENT, "status")),
		)

	def test_at_least_one_day(self):
		settings = frappe.get_single(SETTINGS)
		for field in retention.RETENTION_DEFAULTS:
			settings.reload()
			settings.set(field, 0)
			with self.subTest(field=field), self.assertRaises(frappe.ValidationError):
				settings.save(ignore_permissions=True)


def meta_options(doctype: str, field: str) -> list[str]:
	return [o for o in (frappe.get_meta(doctype).get_field(field).options or "").split("\n") if o]


class TestReconcile(IntegrationsTestCase):
	"""`outbox.reconcile` (hourly) asks the sidecar about every acknowledged in-flight row."""

	def setUp(self):
		self.webhook = make_webhook().name
		self.sidecar = FakeSidecar().__enter__()
		self.addCleanup(self.sidecar.__exit__, None, None, None)
		configure_sidecar(self.sidecar.url)
		self.known: dict[str, str] = {}  # what the fake sidecar knows: id -> status
		self.sidecar.respond = self.respond

	def respond(self, method, path, body):
		if method == "POST" and path == "/v1/messages/lookup":
			ids = body["ids"]
			# the site's own rows (not this test's) are left alone: still in flight
			return 200, {
				"found": {i: self.known.get(i, "sending") for i in ids if i not in self.lost},
				"missing": [i for i in ids if i in self.lost],
			}
		return FakeSidecar.default_respond(method, path, body)

	def row(self, name) -> dict:
		return frappe.db.get_value(DELIVERY, name, ["status", "acked", "attempts_count", "completed_at", "next_attempt_at"], as_dict=True)

	def test_lost_rows_go_back_to_the_outbox_and_final_states_are_applied(self):
		lost = make_delivery(self.webhook, "Retrying", B + 1)
		frappe.db.set_value(DELIVERY, lost, {"attempts_count": 3, "next_attempt_at": now_datetime()}, update_modified=False)
		succeeded = make_delivery(self.webhook, "Sending", B + 1)
		failed = make_delivery(self.webhook, "Retrying", B + 1)
		cancelled = make_delivery(self.webhook, "Queued", B + 1)
		still_sending = make_delivery(self.webhook, "Sending", B + 1)
		unacked = make_delivery(self.webhook, "Queued", B + 1, acked=0)  # the minutely re-push's, not reconcile's
		done = make_delivery(self.webhook, "Succeeded", B + 1)
		self.lost = {lost, unacked, done}
		self.known = {succeeded: "succeeded", failed: "failed", cancelled: "cancelled", still_sending: "sending"}

		with simulated_transactions():
			outbox.reconcile()

		asked = {i for r in self.sidecar.requests if r["path"] == "/v1/messages/lookup" for i in r["body"]["ids"]}
		self.assertTrue({lost, succeeded, failed, cancelled, still_sending} <= asked)
		self.assertFalse({unacked, done} & asked, "only acknowledged rows still in flight are asked about")
		self.assertTrue(all(len(r["body"]["ids"]) <= outbox.MAX_MESSAGES_PER_CALL for r in self.sidecar.requests if r["path"] == "/v1/messages/lookup"))

		row = self.row(lost)
		self.assertEqual((row.status, row.acked, row.attempts_count, row.next_attempt_at), ("Queued", 0, 0, None))
		for name, status in ((succeeded, "Succeeded"), (failed, "Failed"), (cancelled, "Cancelled")):
			row = self.row(name)
			self.assertEqual((row.status, row.acked), (status, 1), name)
			self.assertIsNotNone(row.completed_at)
		self.assertEqual(self.row(still_sending).status, "Sending")
		self.assertEqual(self.row(unacked).status, "Queued")
		self.assertEqual(self.row(done).status, "Succeeded")

	def test_a_sidecar_that_cannot_be_reached_changes_nothing(self):
		name = make_delivery(self.webhook, "Retrying", B + 1)
		self.lost = set()
		self.sidecar.respond = lambda method, path, body: FakeSidecar.DROP
		with simulated_transactions():
			outbox.reconcile()
		self.assertEqual((self.row(name).status, self.row(name).acked), ("Retrying", 1))
