import inspect
import json
from unittest.mock import patch

import frappe
import pymysql
from frappe.tests.utils import patch_hooks
from frappe.utils import add_to_date, now_datetime

from integrations_app import retention
from integrations_app.api import sidecar
from integrations_app.api.settings import test_sidecar
from integrations_app.inbound import events as handlers
from integrations_app.tests.helpers import (
	IM_USER,
	PLAIN_USER,
	SM_USER,
	IntegrationsTestCase,
	as_sidecar,
	simulated_transactions,
	user_roles,
)

INBOUND_EVENT = "Integration Inbound Event"
CALLS = []
receive_inbound_events = as_sidecar(sidecar.receive_inbound_events)


def record_handler(event, payload):
	CALLS.append((event.name, payload))


def failing_handler(event, payload):
	frappe.get_doc({"doctype": "ToDo", "description": f"written by {event.name}"}).insert(ignore_permissions=True)
	raise RuntimeError("handler broke")


def make_endpoint(slug="gh-test", provider="github"):
	return frappe.get_doc(
		{"doctype": "Integration Inbound Endpoint", "slug": slug, "provider": provider, "secret": "s3cret"}
	).insert(ignore_permissions=True)


def inbound(sidecar_id, provider_event_id, slug="gh-test", event_type="push", payload=None):
	return {
		"sidecar_id": sidecar_id,
		"slug": slug,
		"provider": "github",
		"provider_event_id": provider_event_id,
		"event_type": event_type,
		"received_at": "2024-05-01T10:00:00.000Z",
		"payload": json.dumps(payload if payload is not None else {"ref": "main"}),
		"headers": {"x-github-event": event_type},
	}


class TestReceiveInboundEvents(IntegrationsTestCase):
	def setUp(self):
		self.endpoint = make_endpoint()

	def test_idempotent_on_endpoint_and_provider_id(self):
		first = receive_inbound_events(
			events=[inbound("s1", "delivery-1"), inbound("s2", "delivery-1"), inbound("s3", "delivery-2")]
		)
		self.assertEqual(first["accepted"], ["s1", "s3"])
		self.assertEqual(first["duplicates"], ["s2"])
		again = receive_inbound_events(events=[inbound("s4", "delivery-1")])
		self.assertEqual((again["accepted"], again["duplicates"]), ([], ["s4"]))
		self.assertEqual(frappe.db.count(INBOUND_EVENT, {"endpoint": self.endpoint.name}), 2)

		row = frappe.get_all(
			INBOUND_EVENT,
			filters={"endpoint": "gh-test", "provider_event_id": "delivery-1"},
			fields=["status", "event_type", "provider", "payload", "headers", "received_at"],
		)[0]
		self.assertEqual((row.status, row.event_type, row.provider), ("Received", "push", "github"))
		self.assertEqual(json.loads(row.payload), {"ref": "main"})
		self.assertEqual(json.loads(row.headers), {"x-github-event": "push"})
		self.assertIsNotNone(row.received_at)

	def test_deleting_the_endpoint_purges_its_events_after_commit(self):
		receive_inbound_events(events=[inbound("s1", "delivery-1"), inbound("s2", "delivery-2")])
		with patch("frappe.enqueue") as enqueue:
			self.endpoint.delete()
		# The events outlive the delete's transaction; a background job removes them.
		self.assertEqual(frappe.db.count(INBOUND_EVENT, {"endpoint": self.endpoint.name}), 2)
		[purge] = [c for c in enqueue.call_args_list if c.args == ("integrations_app.retention.purge_log",)]
		self.assertTrue(purge.kwargs["enqueue_after_commit"])
		with simulated_transactions():  # purge_log commits per chunk: never the test's data
			purged = retention.purge_log(purge.kwargs["owner_doctype"], purge.kwargs["owner"], chunk=1)
		self.assertEqual(purged, 2)
		self.assertEqual(frappe.db.count(INBOUND_EVENT, {"endpoint": self.endpoint.name}), 0)

	def test_database_unique_index_backs_the_check(self):
		receive_inbound_events(events=[inbound("s1", "delivery-9")])
		first = frappe.db.get_value(INBOUND_EVENT, {"endpoint": "gh-test", "provider_event_id": "delivery-9"})
		# a concurrent request that stored it between our check and our insert
		ours = handlers.insert_events([handlers._validate_event(inbound("s2", "delivery-9")), handlers._validate_event(inbound("s3", "delivery-10"))])
		self.assertEqual(ours, {("gh-test", "delivery-9"): False, ("gh-test", "delivery-10"): True})
		self.assertEqual(frappe.db.get_all(INBOUND_EVENT, filters={"endpoint": "gh-test", "provider_event_id": "delivery-9"}, pluck="name"), [first])

	def test_a_batch_is_one_insert(self):
		statements = []
		original = frappe.db.sql

		def sql(query, *args, **kwargs):
			statements.append(str(query).lstrip().lower())
			return original(query, *args, **kwargs)

		with patch.object(frappe.db, "sql", sql):
			result = receive_inbound_events(events=[inbound(f"s{i}", f"batch-{i}") for i in range(20)])
		self.assertEqual(len(result["accepted"]), 20)
		self.assertEqual(len([q for q in statements if q.startswith(f"insert into `tab{INBOUND_EVENT.lower()}`")]), 1)
		self.assertFalse([q for q in statements if q.startswith("savepoint")])

	def test_long_provider_ids_are_kept_whole(self):
		# two ids sharing their first 140 characters are two events, not one (the sidecar allows 255)
		common = "evt_" + "x" * 200
		result = receive_inbound_events(events=[inbound("s1", common + "a", event_type="t" * 255), inbound("s2", common + "b")])
		self.assertEqual((result["accepted"], result["duplicates"]), (["s1", "s2"], []))
		stored = frappe.get_all(INBOUND_EVENT, filters={"endpoint": self.endpoint.name}, pluck="provider_event_id")
		self.assertEqual(sorted(stored), [common + "a", common + "b"])
		self.assertEqual(frappe.db.get_value(INBOUND_EVENT, {"provider_event_id": common + "a"}, "event_type"), "t" * 255)

		# longer than the field: refused (parked by the sidecar), never cut and merged
		too_long = receive_inbound_events(events=[inbound("s3", "y" * 256)])
		self.assertEqual([(r["sidecar_id"], r["code"]) for r in too_long["rejected"]], [("s3", "invalid")])
		self.assertIn("provider_event_id", too_long["rejected"][0]["message"])

	def test_rejections(self):
		result = receive_inbound_events(
			events=[inbound("s1", "x", slug="missing"), {"sidecar_id": "s2", "slug": "gh-test"}, {"slug": "gh-test"}]
		)
		self.assertEqual(result["accepted"], [])
		# the sidecar needs a sidecar_id to act on a rejection; an item without one is dropped
		codes = sorted((r["sidecar_id"], r["code"]) for r in result["rejected"])
		self.assertEqual(codes, [("s1", "endpoint_not_found"), ("s2", "invalid")])


def process(*names, commit=False) -> dict[str, str]:
	"""What the job does with these events (claim, handlers, statuses), leaving other Received
	events of the site alone; `commit` under simulated_transactions only."""
	docs = [frappe.get_doc(INBOUND_EVENT, name) for name in names]
	frappe.db.sql(f"update `tab{INBOUND_EVENT}` set status = 'Processing', attempts = attempts + 1 where name in %s", (names,))
	for doc in docs:
		doc.status, doc.attempts = "Processing", doc.attempts + 1
	if commit:
		frappe.db.commit()
	return handlers.process_claimed(docs, commit=commit)


def process_one(name) -> str:
	return process(name)[name]


class TestInboundHandlers(IntegrationsTestCase):
	def setUp(self):
		CALLS.clear()
		make_endpoint()

	def receive(self, event_type="push"):
		receive_inbound_events(events=[inbound("s1", f"id-{event_type}", event_type=event_type)])
		return frappe.db.get_value(INBOUND_EVENT, {"provider_event_id": f"id-{event_type}"})

	def test_matching_handlers_run_and_status_is_recorded(self):
		name = self.receive("push")
		with patch_hooks({handlers.HOOK: {"github": {"push": [f"{__name__}.record_handler"]}}}):
			self.assertEqual(process_one(name), "Processed")
		self.assertEqual(CALLS, [(name, {"ref": "main"})])
		values = frappe.db.get_value(INBOUND_EVENT, name, ["status", "attempts", "processed_at"], as_dict=True)
		self.assertEqual((values.status, values.attempts), ("Processed", 1))
		self.assertIsNotNone(values.processed_at)

	def test_wildcards(self):
		name = self.receive("issues")
		hooks = {handlers.HOOK: {"github": {"push": [f"{__name__}.failing_handler"]}, "*": {"*": [f"{__name__}.record_handler"]}}}
		with patch_hooks(hooks):
			self.assertEqual(process_one(name), "Processed")
		self.assertEqual(len(CALLS), 1)

	def test_no_handler(self):
		name = self.receive("ping")
		with patch_hooks({handlers.HOOK: {}}):
			self.assertEqual(process_one(name), "No Handler")

	def test_failure_is_recorded_and_rolled_back(self):
		name = self.receive("push")
		with patch_hooks({handlers.HOOK: {"github": {"push": [f"{__name__}.failing_handler"]}}}):
			self.assertEqual(process_one(name), "Failed")
		values = frappe.db.get_value(INBOUND_EVENT, name, ["status", "error"], as_dict=True)
		self.assertEqual(values.status, "Failed")
		self.assertIn("handler broke", values.error)
		self.assertFalse(frappe.db.exists("ToDo", {"description": f"written by {name}"}))

		# replay queues it again and a fixed handler processes it
		handlers.replay(name)
		self.assertEqual(frappe.db.get_value(INBOUND_EVENT, name, "status"), "Received")
		with patch_hooks({handlers.HOOK: {"github": {"push": [f"{__name__}.record_handler"]}}}):
			self.assertEqual(process_one(name), "Processed")
		self.assertEqual(frappe.db.get_value(INBOUND_EVENT, name, "attempts"), 2)


class TestStalledEvents(IntegrationsTestCase):
	def setUp(self):
		CALLS.clear()
		make_endpoint()

	def _age(self, name, minutes):
		# older than the site's own rows too: requeue_stalled takes the oldest REQUEUE_BATCH first
		frappe.db.set_value(INBOUND_EVENT, name, "creation", add_to_date(now_datetime(), years=-30), update_modified=False)
		frappe.db.set_value(INBOUND_EVENT, name, "modified", add_to_date(now_datetime(), minutes=-minutes), update_modified=False)

	def test_events_whose_job_was_lost_are_queued_again(self):
		receive_inbound_events(events=[inbound("s1", "lost"), inbound("s2", "crashed"), inbound("s3", "fresh"), inbound("s4", "done")])
		name = {pid: frappe.db.get_value(INBOUND_EVENT, {"provider_event_id": pid}) for pid in ("lost", "crashed", "fresh", "done")}
		frappe.db.set_value(INBOUND_EVENT, name["crashed"], "status", "Processing")
		frappe.db.set_value(INBOUND_EVENT, name["done"], "status", "Processed")
		for pid in ("lost", "crashed", "done"):
			self._age(name[pid], handlers.STALLED_AFTER_MINUTES + 1)

		frappe.db.after_commit.reset()
		self.assertGreaterEqual(handlers.requeue_stalled(), 2)  # the site may have stalled ones of its own
		status = {pid: frappe.db.get_value(INBOUND_EVENT, n, "status") for pid, n in name.items()}
		self.assertEqual(status, {"lost": "Received", "crashed": "Received", "fresh": "Received", "done": "Processed"})
		# one job for all, queued after commit under a fixed id (frappe.enqueue's dedup: never two)
		self.assertEqual(self.jobs.take(), [])
		frappe.db.after_commit.run()
		[job] = self.jobs.take(handlers.PROCESS_JOB)
		self.assertEqual(job["job_id"], f"{frappe.local.site}::{handlers.STALLED_JOB_ID}")

	def test_a_late_second_job_does_not_run_the_handlers_again(self):
		receive_inbound_events(events=[inbound("s1", "once")])
		name = frappe.db.get_value(INBOUND_EVENT, {"provider_event_id": "once"})
		with patch_hooks({handlers.HOOK: {"github": {"push": [f"{__name__}.record_handler"]}}}):
			self.assertEqual(process_one(name), "Processed")
			self.assertNotIn(name, [doc.name for doc in handlers.claim(handlers.CHUNK)])
		self.assertEqual(len(CALLS), 1)
		self.assertEqual(frappe.db.get_value(INBOUND_EVENT, name, "attempts"), 1)


def write_todo_handler(event, payload):
	frappe.get_doc({"doctype": "ToDo", "description": f"written by {event.name}"}).db_insert()


def deadlocked_handler(event, payload):
	"""Does what MariaDB does to the victim of a deadlock: the whole transaction is rolled back."""
	frappe.get_doc({"doctype": "ToDo", "description": f"written by {event.name}"}).db_insert()
	frappe.db.rollback()  # under simulated_transactions: back to the last "commit"
	raise pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")


class TestBatchProcessing(IntegrationsTestCase):
	"""What was handed over together is processed in one job, one savepoint per event."""

	HOOKS = {
		handlers.HOOK: {
			"github": {"push": [f"{__name__}.write_todo_handler"], "broken": [f"{__name__}.failing_handler"], "deadlock": [f"{__name__}.deadlocked_handler"]}
		}
	}

	def setUp(self):
		make_endpoint()
		# a key of this test's own: the real one would hold back the site's next job for minutes
		waiting = patch.object(handlers, "JOB_WAITING_KEY", f"integrations_app:test:{frappe.generate_hash(length=8)}")
		waiting.start()
		self.addCleanup(waiting.stop)
		self.addCleanup(lambda: frappe.cache.delete(frappe.cache.make_key(handlers.JOB_WAITING_KEY)))

	def receive(self, *types, prefix="e"):
		events = [inbound(f"{prefix}{i}", f"{prefix}-{i}-{t}", event_type=t) for i, t in enumerate(types)]
		self.assertEqual(len(receive_inbound_events(events=events)["accepted"]), len(types))
		return [frappe.db.get_value(INBOUND_EVENT, {"provider_event_id": e["provider_event_id"]}) for e in events]

	def wrote(self, name) -> bool:
		return bool(frappe.db.exists("ToDo", {"description": f"written by {name}"}))

	def test_a_failing_handler_rolls_back_only_its_own_event(self):
		names = self.receive("push", "broken", "ping", "push")
		with patch_hooks(self.HOOKS):
			statuses = process(*names)
		self.assertEqual([statuses[n] for n in names], ["Processed", "Failed", "No Handler", "Processed"])
		self.assertEqual([self.wrote(n) for n in names], [True, False, False, True])
		rows = {r.name: r for r in frappe.get_all(INBOUND_EVENT, filters={"name": ("in", names)}, fields=["name", "status", "error", "processed_at", "attempts"])}
		self.assertEqual([rows[n].status for n in names], ["Processed", "Failed", "No Handler", "Processed"])
		self.assertIn("handler broke", rows[names[1]].error)
		self.assertIsNone(rows[names[1]].processed_at)
		self.assertTrue(all(rows[n].processed_at for n in (names[0], names[2], names[3])))
		self.assertEqual({rows[n].attempts for n in names}, {1})

	def test_a_deadlocked_handler_fails_alone(self):
		names = self.receive("push", "deadlock", "push")
		with patch_hooks(self.HOOKS), simulated_transactions():
			statuses = process(*names, commit=True)
		self.assertEqual([statuses[n] for n in names], ["Processed", "Failed", "Processed"])
		self.assertEqual([self.wrote(n) for n in names], [True, False, True])
		self.assertIn("Deadlock", frappe.db.get_value(INBOUND_EVENT, names[1], "error"))

	def test_a_burst_of_batches_is_processed_by_one_job(self):
		with simulated_transactions():
			for prefix, types in (("a", ("push", "push")), ("b", ("broken", "ping")), ("c", ("push",))):
				self.receive(*types, prefix=prefix)
				frappe.db.commit()  # each forwarded batch is a request of its own
			[job] = self.jobs.take(handlers.PROCESS_JOB)
			self.assertEqual(job["kwargs"], {})  # the job takes whatever is Received when it starts
			with patch_hooks(self.HOOKS):
				counts = frappe.get_attr(job["method"])(**job["kwargs"])
			self.assertGreaterEqual(counts.get("Processed", 0), 3)
			statuses = dict(frappe.get_all(INBOUND_EVENT, filters={"endpoint": "gh-test"}, fields=["provider_event_id", "status"], as_list=True))
			self.assertEqual(
				statuses,
				{"a-0-push": "Processed", "a-1-push": "Processed", "b-0-broken": "Failed", "b-1-ping": "No Handler", "c-0-push": "Processed"},
			)
			# once the job has started, new events need a new job
			self.receive("push", prefix="d")
			frappe.db.commit()
			self.assertEqual(len(self.jobs.take(handlers.PROCESS_JOB)), 1)


class TestSidecarMethodsPermissions(IntegrationsTestCase):
	"""The sidecar's callbacks store events as verified and set delivery outcomes: only the
	Sidecar API User named in Integration Settings may call them, never a person (issue 13 #4)."""

	def setUp(self):
		self.addCleanup(frappe.set_user, "Administrator")
		self.people = {"plain": PLAIN_USER, "integration manager": IM_USER, "system manager": SM_USER}
		self.assertEqual(user_roles(self.people["integration manager"]), {"Integration Manager"})

	def calls(self):
		return {
			"report_deliveries": lambda: sidecar.report_deliveries(outcomes=[]),
			"endpoint_disabled": lambda: sidecar.endpoint_disabled(endpoint_id="nope"),
			"receive_inbound_events": lambda: sidecar.receive_inbound_events(events=[]),
		}

	def test_people_are_refused(self):
		as_sidecar(lambda: None)()  # a Sidecar API User is configured: it is not any of these
		for label, user in {**self.people, "administrator": "Administrator", "guest": "Guest"}.items():
			frappe.set_user(user)
			for method, call in self.calls().items():
				with self.subTest(user=label, method=method), self.assertRaises(frappe.PermissionError):
					call()

	def test_nobody_without_a_configured_user(self):
		frappe.db.set_single_value("Integration Settings", "sidecar_api_user", None)
		frappe.set_user(self.people["integration manager"])
		for method, call in self.calls().items():
			with self.subTest(method=method), self.assertRaises(frappe.PermissionError):
				call()

	def test_the_sidecar_api_user_is_allowed(self):
		self.assertEqual(as_sidecar(sidecar.report_deliveries)(outcomes=[]), {"updated": 0, "ignored": []})
		self.assertEqual(receive_inbound_events(events=[]), {"accepted": [], "duplicates": [], "rejected": []})
		self.assertFalse(as_sidecar(sidecar.endpoint_disabled)(endpoint_id="nope")["ok"])

	def test_test_sidecar_is_for_managers(self):
		frappe.set_user(self.people["plain"])
		with self.assertRaises(frappe.PermissionError):
			test_sidecar()


class TestEnqueueProcessing(IntegrationsTestCase):
	def test_the_job_accepts_what_reaches_it(self):
		"""frappe.enqueue keeps its own keyword parameters and passes only the rest to the job:
		the job's signature must accept exactly what reaches it."""
		waiting = patch.object(handlers, "JOB_WAITING_KEY", f"integrations_app:test:{frappe.generate_hash(length=8)}")
		with waiting:
			try:
				handlers._wake_processor()
			finally:
				frappe.cache.delete(frappe.cache.make_key(handlers.JOB_WAITING_KEY))
		[job] = self.jobs.take()
		self.assertEqual(job["method"], handlers.PROCESS_JOB)
		self.assertTrue(job["queue"].endswith("default"), job["queue"])  # Frappe prefixes the bench's name
		inspect.signature(frappe.get_attr(job["method"])).bind(**job["kwargs"])
