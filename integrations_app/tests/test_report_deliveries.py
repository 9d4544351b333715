import frappe

from integrations_app import retention
from integrations_app.api import sidecar
from integrations_app.outbound import outbox
from integrations_app.tests.helpers import DELIVERY, IntegrationsTestCase, as_sidecar, make_webhook, simulated_transactions

report_deliveries = as_sidecar(sidecar.report_deliveries)
endpoint_disabled = as_sidecar(sidecar.endpoint_disabled)

ATTEMPT = "Integration Webhook Delivery Attempt"


def outcome(message_id, endpoint_id, status, n, code=None, error=None, at="2024-05-01T10:00:00.000Z", next_at=None):
	return {
		"message_id": message_id,
		"endpoint_id": endpoint_id,
		"status": status,
		"attempt": {
			"n": n,
			"at": at,
			"status_code": code,
			"duration_ms": 12 if code or error else None,
			"error": error,
			"response_body": "ok" if code == 200 else None,
			"request_headers": {"webhook-id": message_id},
		},
		"next_attempt_at": next_at,
	}


class TestReportDeliveries(IntegrationsTestCase):
	def setUp(self):
		self.webhook = make_webhook(events=["after_insert"])
		[self.message] = outbox.insert_deliveries(
			[{"webhook": self.webhook.name, "event_type": "todo.created", "payload": "{}", "status": "Queued"}]
		)

	def delivery(self):
		return frappe.db.get_value(
			DELIVERY,
			self.message,
			["status", "attempts_count", "acked", "last_status_code", "last_error", "completed_at", "next_attempt_at"],
			as_dict=True,
		)

	def attempts(self):
		return frappe.get_all(
			ATTEMPT, filters={"parent": self.message}, fields=["attempt_no", "status_code", "error"], order_by="attempt_no"
		)

	def health(self):
		return frappe.db.get_value(
			"Integration Webhook",
			self.webhook.name,
			["delivered_count", "failed_count", "consecutive_failures", "last_error"],
			as_dict=True,
		)

	def report(self, *outcomes):
		return report_deliveries(outcomes=list(outcomes))

	def test_lifecycle_and_ordering_rules(self):
		w, m = self.webhook.name, self.message
		self.assertEqual(self.report(outcome(m, w, "sending", 1))["updated"], 1)
		self.assertEqual((self.delivery().status, self.delivery().attempts_count, self.delivery().acked), ("Sending", 1, 1))

		self.report(outcome(m, w, "retrying", 1, code=500, next_at="2024-05-01T10:00:05.000Z"))
		d = self.delivery()
		self.assertEqual((d.status, d.last_status_code, d.last_error), ("Retrying", 500, "HTTP 500"))
		self.assertIsNotNone(d.next_attempt_at)
		self.assertEqual(self.health().consecutive_failures, 1)

		# a late "sending" for the same attempt does not move the status back
		self.report(outcome(m, w, "sending", 1))
		self.assertEqual(self.delivery().status, "Retrying")

		self.report(outcome(m, w, "succeeded", 2, code=200, at="2024-05-01T10:00:06.000Z"))
		d = self.delivery()
		self.assertEqual((d.status, d.attempts_count, d.last_error), ("Succeeded", 2, None))
		self.assertIsNotNone(d.completed_at)
		self.assertIsNone(d.next_attempt_at)
		h = self.health()
		self.assertEqual((h.delivered_count, h.consecutive_failures), (1, 0))

		# duplicates and stale reports change nothing
		self.assertEqual(
			self.report(outcome(m, w, "succeeded", 2, code=200, at="2024-05-01T10:00:06.000Z"))["updated"], 0
		)
		self.report(outcome(m, w, "retrying", 1, code=500))
		self.assertEqual(self.delivery().status, "Succeeded")
		self.assertEqual([a.attempt_no for a in self.attempts()], [1, 2])
		self.assertEqual(self.health().delivered_count, 1, "not counted twice")

		# a replay (new attempt) reopens the final status
		self.report(outcome(m, w, "sending", 3))
		self.assertEqual((self.delivery().status, self.delivery().attempts_count), ("Sending", 3))

	def test_out_of_order_within_one_batch(self):
		w, m = self.webhook.name, self.message
		self.report(
			outcome(m, w, "failed", 2, error="connect ECONNREFUSED", at="2024-05-01T10:00:05.000Z"),
			outcome(m, w, "retrying", 1, code=503, at="2024-05-01T10:00:00.000Z"),
		)
		d = self.delivery()
		self.assertEqual((d.status, d.attempts_count, d.last_error), ("Failed", 2, "connect ECONNREFUSED"))
		self.assertEqual([(a.attempt_no, a.status_code) for a in self.attempts()], [(1, 503), (2, 0)])
		h = self.health()
		self.assertEqual((h.failed_count, h.consecutive_failures, h.last_error), (1, 2, "connect ECONNREFUSED"))

	def test_invalid_and_unknown_are_ignored(self):
		result = self.report(
			{"message_id": "msg_unknown000000000000000000", "status": "sending", "attempt": {"n": 1}},
			{"message_id": self.message, "status": "delivered"},
			outcome(self.message, self.webhook.name, "sending", 1),
		)
		self.assertEqual(result["updated"], 1)
		reasons = {i["message_id"]: i["reason"] for i in result["ignored"]}
		self.assertEqual(reasons["msg_unknown000000000000000000"], "unknown message")
		self.assertIn("status must be one of", reasons[self.message])

	def test_deliveries_of_a_deleted_webhook(self):
		"""The sidecar may still report a webhook's deliveries after it was deleted: no error, no
		health update; once the background purge ran they are unknown messages."""
		w, m = self.webhook.name, self.message
		frappe.delete_doc("Integration Webhook", w, ignore_permissions=True)
		result = self.report(outcome(m, w, "failed", 1, code=500))
		self.assertEqual((result["updated"], result["ignored"]), (1, []))
		self.assertEqual(self.delivery().status, "Failed", "the kept log row still records the outcome")
		self.assertFalse(frappe.db.exists("Integration Webhook", w), "no health row resurrected")

		with simulated_transactions():  # purge_log commits per chunk: never the test's data
			self.assertEqual(retention.purge_log("Integration Webhook", w), 1)
		self.assertFalse(frappe.db.exists(DELIVERY, m))
		self.assertEqual(self.attempts(), [])
		result = self.report(outcome(m, w, "succeeded", 2, code=200))
		self.assertEqual(result["updated"], 0)
		self.assertEqual(result["ignored"], [{"message_id": m, "reason": "unknown message"}])

	def test_not_a_list(self):
		# rejected by the type check of the whitelisted method (or our own check without it)
		with self.assertRaises((frappe.ValidationError, TypeError)):
			report_deliveries(outcomes={"message_id": "x"})


class TestEndpointDisabled(IntegrationsTestCase):
	def test_sets_status_once(self):
		webhook = make_webhook(events=["after_insert"])
		result = endpoint_disabled(endpoint_id=webhook.name, reason="failing for 5 days", at="2024-05-06T10:00:00Z")
		self.assertEqual(result, {"ok": True, "status": "Auto-disabled"})
		values = frappe.db.get_value("Integration Webhook", webhook.name, ["status", "disabled_reason"], as_dict=True)
		self.assertEqual((values.status, values.disabled_reason), ("Auto-disabled", "failing for 5 days"))
		self.assertEqual(endpoint_disabled(endpoint_id=webhook.name, reason="again")["status"], "Auto-disabled")
		self.assertEqual(frappe.db.get_value("Integration Webhook", webhook.name, "disabled_reason"), "failing for 5 days")

	def test_unknown_endpoint(self):
		self.assertFalse(endpoint_disabled(endpoint_id="nope", reason="x")["ok"])
