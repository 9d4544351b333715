import unittest

from integrations_app.outbound.rules import outcomes


def raw(status="succeeded", n=1, **attempt):
	return {
		"message_id": "msg_1",
		"endpoint_id": "wh1",
		"status": status,
		"attempt": {"n": n, "at": "2024-05-01T10:00:00.000Z", **attempt},
		"next_attempt_at": None,
	}


class TestParse(unittest.TestCase):
	def test_valid(self):
		o = outcomes.parse_outcome(raw(status_code=200, duration_ms=12, request_headers={"a": "b"}))
		self.assertEqual(o.attempt_no, 1)
		self.assertEqual(o.attempt["status_code"], 200)
		self.assertIsNone(o.attempt["error"])

	def test_without_attempt(self):
		o = outcomes.parse_outcome({"message_id": "m", "status": "cancelled", "attempt": None})
		self.assertIsNone(o.attempt_no)

	def test_invalid(self):
		bad = [
			None,
			{},
			{"message_id": "m", "status": "delivered"},
			raw(n=0),
			raw(n="1"),
			raw(status_code="200"),
			raw(status_code=True),
			{**raw(), "attempt": "x"},
		]
		for item in bad:
			with self.assertRaises(ValueError):
				outcomes.parse_outcome(item)


class TestStatusRules(unittest.TestCase):
	def test_newer_attempt_applies_even_over_final(self):
		self.assertTrue(outcomes.should_apply_status("Succeeded", 1, "sending", 2))  # replay reopens
		self.assertTrue(outcomes.should_apply_status("Queued", 0, "sending", 1))

	def test_stale_attempt_ignored(self):
		self.assertFalse(outcomes.should_apply_status("Retrying", 3, "retrying", 2))
		self.assertFalse(outcomes.should_apply_status("Sending", 2, "failed", 1))

	def test_same_attempt_moves_forward_only(self):
		self.assertTrue(outcomes.should_apply_status("Sending", 1, "retrying", 1))
		self.assertTrue(outcomes.should_apply_status("Sending", 1, "succeeded", 1))
		self.assertFalse(outcomes.should_apply_status("Retrying", 1, "sending", 1))
		self.assertTrue(outcomes.should_apply_status("Retrying", 1, "retrying", 1))

	def test_final_is_sticky(self):
		for final in ("Succeeded", "Failed", "Cancelled"):
			for new in outcomes.SIDECAR_STATUSES:
				self.assertFalse(outcomes.should_apply_status(final, 4, new, 4))
				self.assertFalse(outcomes.should_apply_status(final, 4, new, None))

	def test_cancel_without_attempt(self):
		self.assertTrue(outcomes.should_apply_status("Retrying", 2, "cancelled", None))


class TestAttempts(unittest.TestCase):
	def test_merge_keeps_known_values(self):
		first = {"n": 1, "at": "t", "status_code": 500, "duration_ms": 10, "error": "HTTP 500", "response_body": "x", "request_headers": None}
		merged = outcomes.merge_attempt(first, {"n": 1, "at": None, "status_code": None, "error": None})
		self.assertEqual(merged["status_code"], 500)
		self.assertEqual(merged["response_body"], "x")

	def test_result(self):
		self.assertFalse(outcomes.attempt_has_result({"n": 1, "status_code": None, "error": None}))
		self.assertTrue(outcomes.attempt_has_result({"n": 1, "status_code": 502}))
		self.assertTrue(outcomes.attempt_has_result({"n": 1, "error": "timeout"}))
		self.assertTrue(outcomes.attempt_succeeded({"status_code": 204}))
		self.assertFalse(outcomes.attempt_succeeded({"status_code": 302}))


class TestHealth(unittest.TestCase):
	def test_success_resets_run(self):
		changes = outcomes.fold_health(
			3, [("2024-01-01 10:00:02", False, "HTTP 500"), ("2024-01-01 10:00:01", True, None)]
		)
		self.assertEqual(changes["consecutive_failures"], 1)
		self.assertEqual(changes["last_success_at"], "2024-01-01 10:00:01")
		self.assertEqual(changes["last_error"], "HTTP 500")

	def test_failures_accumulate(self):
		self.assertEqual(outcomes.fold_health(2, [("a", False, "x"), ("b", False, "y")])["consecutive_failures"], 4)

	def test_nothing_new(self):
		self.assertEqual(outcomes.fold_health(2, []), {})
