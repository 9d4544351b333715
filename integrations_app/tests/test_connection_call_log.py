"""Failed proxied calls reported by the sidecar: stored as Integration Connection Call Log rows
(only by the Sidecar API User), read-only for Integration Managers, shown per connection, and
deleted by the daily cleanup; and the SPA's stats from the sidecar's per-minute stats."""

from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.utils import add_days, get_datetime, now_datetime

from integrations_app import retention
from integrations_app.api import connections as api
from integrations_app.api import sidecar as sidecar_api
from integrations_app.sidecar.client import reset_shared_session
from integrations_app.tests.helpers import (
	IM_USER,
	PLAIN_USER,
	SM_USER,
	FakeSidecar,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
	simulated_transactions,
)

CONNECTION = "Integration Connection"
CALL_LOG = "Integration Connection Call Log"
SETTINGS = "Integration Settings"
report = as_sidecar(sidecar_api.report_connection_failures)


def make_connection(name="Stripe Live"):
	return frappe.get_doc(
		{"doctype": CONNECTION, "connection_name": name, "auth_type": "Bearer Token", "base_url": "https://api.stripe.com", "secret": "sk_test_x"}
	).insert(ignore_permissions=True)


def failure(connection_id, **fields):
	return {
		"connection_id": connection_id,
		"method": "POST",
		"path": "/v1/refunds",
		"status_code": 402,
		"error_code": "upstream_status",
		"error": "The API answered 402",
		"attempts": 1,
		"duration_ms": 12.5,
		"response_snippet": '{"error":{"code":"card_declined"}}',
		"at": "2026-11-30T10:00:00.000Z",
		**fields,
	}


class CallLogTestCase(IntegrationsTestCase):
	def setUp(self):
		reset_shared_session()
		self.addCleanup(frappe.set_user, "Administrator")
		commit = patch.object(frappe.db, "commit", lambda: None)
		commit.start()
		self.addCleanup(commit.stop)
		self.conn = make_connection()


class TestReportFailures(CallLogTestCase):
	def test_stores_one_row_per_failure_with_utc_time_and_ignores_unknown_connections(self):
		out = report(
			failures=[
				failure(self.conn.sidecar_id),
				failure(self.conn.sidecar_id, method="GET", path="/v1/charges", status_code=None, error_code="timeout", error="no response within 300 ms", attempts=3, response_snippet=None),
				failure("no-such-connection"),
			]
		)
		self.assertEqual(out, {"stored": 2, "ignored": 1})
		rows = frappe.get_all(CALL_LOG, filters={"connection": self.conn.name}, fields=["*"], order_by="error_code asc")
		self.assertEqual([(r.method, r.path, r.status_code, r.error_code, r.attempts) for r in rows], [("GET", "/v1/charges", 0, "timeout", 3), ("POST", "/v1/refunds", 402, "upstream_status", 1)])
		self.assertEqual(rows[1].response_snippet, '{"error":{"code":"card_declined"}}')
		self.assertEqual(rows[1].duration_ms, 12.5)
		self.assertIsNotNone(rows[1].at)

	def test_only_the_sidecar_user_may_report(self):
		for user in (IM_USER, SM_USER, PLAIN_USER):
			frappe.set_user(user)
			with self.subTest(user=user), self.assertRaises(frappe.PermissionError):
				sidecar_api.report_connection_failures(failures=[failure(self.conn.sidecar_id)])
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists(CALL_LOG, {"connection": self.conn.name}))

	def test_refuses_what_is_not_a_list_of_failures(self):
		# Frappe's type check on the whitelisted method (FrappeTypeError), or ours for the items
		with self.assertRaises((frappe.ValidationError, TypeError)):
			report(failures={"connection_id": self.conn.sidecar_id})
		with self.assertRaises(frappe.ValidationError):
			report(failures=["not an object"])


class TestReadOnly(CallLogTestCase):
	def test_integration_managers_read_but_cannot_write_or_delete(self):
		report(failures=[failure(self.conn.sidecar_id)])
		name = frappe.db.get_value(CALL_LOG, {"connection": self.conn.name})
		frappe.set_user(IM_USER)
		doc = frappe.get_doc(CALL_LOG, name)
		self.assertTrue(doc.has_permission("read"))
		self.assertFalse(doc.has_permission("write"))
		self.assertFalse(doc.has_permission("delete"))
		self.assertFalse(frappe.has_permission(CALL_LOG, "create"))
		frappe.set_user(PLAIN_USER)
		self.assertFalse(frappe.has_permission(CALL_LOG, "read"))

	def test_the_connection_form_links_to_its_call_log(self):
		links = {(l.link_doctype, l.link_fieldname) for l in frappe.get_meta(CONNECTION).links}
		self.assertIn((CALL_LOG, "connection"), links)

	def test_recent_failures_newest_first_per_connection(self):
		other = make_connection("PayPal")
		report(failures=[failure(self.conn.sidecar_id, path=f"/v1/r{i}") for i in range(7)] + [failure(other.sidecar_id, path="/v2/x")])
		base = get_datetime("2026-11-30 10:00:00")
		for row in frappe.get_all(CALL_LOG, filters={"connection": self.conn.name}, fields=["name", "path"]):
			created = base + timedelta(seconds=int(row.path.rsplit("r", 1)[1]))
			frappe.db.sql(f"update `tab{CALL_LOG}` set creation = %s where name = %s", (created, row.name))
		frappe.set_user(IM_USER)
		out = api.recent_failures(limit=3)
		self.assertEqual([r["path"] for r in out[self.conn.name]], ["/v1/r6", "/v1/r5", "/v1/r4"])
		self.assertEqual([r["path"] for r in out[other.name]], ["/v2/x"])
		self.assertTrue(out[self.conn.name][0]["at"].endswith("Z"))
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			api.recent_failures()


class TestRetention(CallLogTestCase):
	def test_old_failed_calls_are_deleted_daily_and_with_their_connection(self):
		frappe.db.set_single_value(SETTINGS, "retain_call_log_days", 10_000)
		report(failures=[failure(self.conn.sidecar_id, path="/old"), failure(self.conn.sidecar_id, path="/young")])
		old = frappe.db.get_value(CALL_LOG, {"path": "/old"})
		young = frappe.db.get_value(CALL_LOG, {"path": "/young"})
		frappe.db.sql(f"update `tab{CALL_LOG}` set creation = %s where name = %s", (add_days(now_datetime(), -10_001), old))
		frappe.db.sql(f"update `tab{CALL_LOG}` set creation = %s where name = %s", (add_days(now_datetime(), -9_999), young))
		with simulated_transactions():
			counts = retention.cleanup()
		self.assertGreaterEqual(counts[CALL_LOG], 1)
		self.assertFalse(frappe.db.exists(CALL_LOG, old))
		self.assertTrue(frappe.db.exists(CALL_LOG, young))
		# a deleted connection's log goes in the background purge
		frappe.db.delete(CONNECTION, self.conn.name)
		self.assertEqual(retention.purge_log(CONNECTION, self.conn.name), 1)
		self.assertFalse(frappe.db.exists(CALL_LOG, young))


class TestStats(CallLogTestCase):
	def test_stats_come_from_the_sidecars_per_minute_stats(self):
		answer = {
			"at": "2026-11-30T10:02:00.000Z",
			"minutes": 2,
			"latency_buckets_ms": [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, None],
			"connections": {
				self.conn.sidecar_id: {
					"breaker": {"state": "open", "failures": 5, "opened_at": None},
					"totals": {"calls": 9, "errors": 4, "by_result": {"2xx": 5, "5xx": 3, "circuit_open": 1}},
					"series": [
						{"minute": "2026-11-30T10:01:00.000Z", "calls": 5, "errors": 0, "by_result": {"2xx": 5}, "latency_counts": [5] + [0] * 12, "latency_sum_ms": 9, "breaker": "closed"},
						{"minute": "2026-11-30T10:02:00.000Z", "calls": 4, "errors": 4, "by_result": {"5xx": 3, "circuit_open": 1}, "latency_counts": [1, 0, 0, 0, 3] + [0] * 8, "latency_sum_ms": 200, "breaker": "open"},
					],
				}
			},
		}
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = lambda method, path, body: (200, answer)
			frappe.set_user(IM_USER)
			out = api.connection_stats(minutes=2)
		[request] = [r for r in sidecar.requests if r["path"] == "/v1/connections/stats/lookup"]
		self.assertEqual(request["body"]["minutes"], 2)
		self.assertIn(self.conn.sidecar_id, request["body"]["ids"])
		stats = out["connections"][self.conn.name]
		self.assertEqual((stats["calls"], stats["errors"], stats["breaker"]), (9, 4, "open"))
		self.assertEqual([(m["calls"], m["errors"], m["p95_ms"], m["breaker"]) for m in stats["series"]], [(5, 0, 5, "closed"), (4, 4, 100, "open")])
		self.assertIsNone(out["error"])

	def test_a_sidecar_that_cannot_be_reached_is_an_error_not_an_exception(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = lambda method, path, body: FakeSidecar.DROP
			frappe.set_user(IM_USER)
			out = api.connection_stats()
		self.assertEqual(out["connections"], {})
		self.assertTrue(out["error"])
