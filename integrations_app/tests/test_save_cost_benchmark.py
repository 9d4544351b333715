"""The save_cost benchmark refuses to time what would not be a measurement: a run whose
background work never finished, or one started before the sidecar has the run's endpoints."""

import os
import time
from unittest.mock import patch

import frappe

from integrations_app.benchmarks import save_cost
from integrations_app.tests.helpers import IntegrationsTestCase, configured_sidecar, flush, make_todo, make_webhook

RECEIVER = "http://127.0.0.1:9/save-cost"


def endpoint_store(known: dict, refuse_put: bool = False):
	"""The sidecar's endpoint routes over `known` (id → config)."""

	def respond(method, path, body):
		endpoint_id = path.removeprefix("/v1/endpoints/")
		if method == "GET" and path.startswith("/v1/endpoints/"):
			return (200, {"id": endpoint_id, **known[endpoint_id]}) if endpoint_id in known else (404, {"error": {"code": "not_found", "message": "no such endpoint"}})
		if method == "PUT" and path.startswith("/v1/endpoints/"):
			if refuse_put:
				return 400, {"error": {"code": "invalid_request", "message": "refused"}}
			known[endpoint_id] = body
			return 200, {"id": endpoint_id, **body}
		return 404, {"error": {"code": "not_found", "message": path}}

	return respond


class TestSaveCostPreconditions(IntegrationsTestCase):
	def setUp(self):
		# _await_sidecar_endpoints commits what it records; the test's rollback must undo it all
		commit = patch.object(frappe.db, "commit", lambda: None)
		commit.start()
		self.addCleanup(commit.stop)

	def test_an_endpoint_the_sidecar_lacks_is_pushed_again_then_confirmed(self):
		webhook = make_webhook(url=RECEIVER)  # not committed: the sidecar never got it
		known: dict = {}
		with configured_sidecar(endpoint_store(known)) as sidecar:
			save_cost._await_sidecar_endpoints([webhook.name], RECEIVER, timeout_s=10)
		calls = [(r["method"], r["path"]) for r in sidecar.requests]
		path = f"/v1/endpoints/{webhook.name}"
		self.assertEqual(calls, [("GET", path), ("PUT", path), ("GET", path)])
		self.assertEqual(known[webhook.name]["url"], RECEIVER)
		self.assertEqual(frappe.db.get_value("Integration Webhook", webhook.name, "sidecar_synced"), 1)

	def test_a_sidecar_that_never_confirms_stops_the_run(self):
		webhook = make_webhook(url=RECEIVER)
		stale = {webhook.name: {"url": "http://127.0.0.1:9/an-earlier-run"}}
		with configured_sidecar(endpoint_store(stale, refuse_put=True)):
			with self.assertRaises(save_cost.SidecarNotReady) as ctx:
				save_cost._await_sidecar_endpoints([webhook.name], RECEIVER, timeout_s=0.5)
		self.assertIn("lacks 1 of the run's 1 endpoints", str(ctx.exception))
		self.assertIn("refused", str(ctx.exception))
		self.assertNotIn("test-sidecar-token", str(ctx.exception))

	def test_a_sidecar_that_cannot_be_reached_stops_the_run(self):
		webhook = make_webhook(url=RECEIVER)
		with configured_sidecar() as sidecar:
			url = sidecar.url
		# the server is closed now: nothing listens on its port
		with self.assertRaises(save_cost.SidecarNotReady) as ctx:
			save_cost._await_sidecar_endpoints([webhook.name], RECEIVER, timeout_s=0.5)
		self.assertIn(f"Cannot connect to the sidecar at {url}", str(ctx.exception))

	def test_deliveries_left_queued_are_an_error_not_a_shorter_wait(self):
		webhook = make_webhook(url=RECEIVER)
		make_todo()
		flush()  # one Queued delivery that no sidecar will report on
		# _settle reads through a fresh snapshot; here the row exists in the test's transaction only
		with patch.object(frappe.db, "rollback", lambda: None):
			with self.assertRaises(save_cost.NotSettled) as ctx:
				save_cost._settle_deliveries((webhook.name,), time.monotonic() + 0.5, 0.5)
		self.assertIn("1 deliveries of the run's Integration Webhooks were still Queued or Sending", str(ctx.exception))


class TestSaveCostRunLock(IntegrationsTestCase):
	"""Two runs at once on one site would each switch the other's webhooks on and off."""

	def setUp(self):
		key = frappe.cache.make_key(save_cost.RUN_LOCK_KEY)
		self.assertIsNone(frappe.cache.get(key), "a save_cost run is under way on this site")
		self.addCleanup(frappe.cache.delete, key)

	def test_a_second_run_is_refused_while_one_holds_the_site_and_may_start_once_it_ended(self):
		with save_cost._run_lock():
			with self.assertRaises(save_cost.AlreadyRunning) as ctx:
				save_cost.run(n=1)
			self.assertIn("another save_cost run is under way on this site", str(ctx.exception))
			self.assertIn(str(os.getpid()), str(ctx.exception))
		with save_cost._run_lock():
			pass  # the first run's end freed the site

	def test_a_run_that_fails_frees_the_site(self):
		with self.assertRaises(ZeroDivisionError):
			with save_cost._run_lock():
				1 / 0
		self.assertIsNone(frappe.cache.get(frappe.cache.make_key(save_cost.RUN_LOCK_KEY)))


class TestSaveCostOrder(IntegrationsTestCase):
	def test_rounds_of_one_core_iteration_then_none_ours_pairs_in_abba_order(self):
		order = save_cost._order(7, 3)
		self.assertEqual(
			order,
			["core", "none", "ours", "ours", "none", "none", "ours"]
			+ ["core", "ours", "none", "none", "ours"]
			+ ["core", "ours", "none", "none", "ours"],
		)
		self.assertEqual({c: order.count(c) for c in save_cost.CONFIGS}, {"none": 7, "core": 3, "ours": 7})

	def test_more_core_rounds_than_pairs_is_refused(self):
		with self.assertRaises(ValueError) as ctx:
			save_cost.run(n=2, core_n=3)
		self.assertIn("core_n must be between 1 and n (2)", str(ctx.exception))
