"""Data sync, the Frappe side (issue 12, docs/sync.md): profiles pushed to the sidecar, real-time
outbox rows with the echo marker, the engine's methods (local store, Sync Log, runs) and the
desk's. Run as Administrator unless a test says otherwise; permission tests act as a user holding
only Integration Manager, as one with no manager role, and as the Sidecar API User."""

import json
import threading
from unittest.mock import patch

import frappe
from frappe.utils import get_datetime

from integrations_app import retention, uninstall
from integrations_app.api import sync as api
from integrations_app.outbound import outbox
from integrations_app.sidecar import config_sync, handoff
from integrations_app.sync import config as sync_config
from integrations_app.sync.errors import ConflictAlreadyResolved, SyncProfileNotFound, SyncRecordNotFound
from integrations_app.sync.rules import history
from integrations_app.tests.helpers import (
	DELIVERY,
	IM_USER,
	PLAIN_USER,
	FakeSidecar,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
	configured_sidecar,
	flush,
	make_todo,
	simulated_transactions,
	take_after_commit,
)
from integrations_app.tests.test_push import private_stream, stream_messages

PROFILE = "Integration Sync Profile"
LOG = "Integration Sync Log"
RUN = "Integration Sync Run"
CONNECTION = "Integration Connection"

engine = {name: as_sidecar(getattr(api, name)) for name in (
	"get_profile", "list_changes", "get_records", "find_records", "upsert_records", "delete_records", "list_deleted",
	"get_sync_logs", "list_sync_logs", "write_sync_logs", "report_run",
)}


def make_connection(name="ERP B"):
	if frappe.db.exists(CONNECTION, name):
		return frappe.get_doc(CONNECTION, name)
	return frappe.get_doc(
		{
			"doctype": CONNECTION,
			"connection_name": name,
			"auth_type": "API Key (Header)",
			"key_name": "Authorization",
			"api_key_prefix": "token ",
			"base_url": "https://erp-b.example.com",
			"secret": "key:secret",
		}
	).insert(ignore_permissions=True)


def make_profile(name="todo-sync", **fields):
	fields.setdefault("field_map", [
		{"local_field": "description", "remote_field": "description"},
		{"local_field": "status", "remote_field": "state", "rule": "Prefer Remote Unless Blank"},
		{"local_field": "priority", "remote_field": "priority", "transform_type": "Value Map", "transform_options": '{"map": {"High": "urgent"}}'},
	])
	values = {
		"doctype": PROFILE,
		"profile_name": name,
		"local_doctype": "ToDo",
		"connection": make_connection().name,
		"remote_type": "Frappe Site",
		"remote_doctype": "ToDo",
		"direction": "Both",
		"mode": "Batch",
		"conflict_strategy": "Manual",
		**fields,
	}
	return frappe.get_doc(values).insert()


def run_pushes():
	queue = frappe.db.after_commit._functions
	for push in [f for f in queue if f is config_sync._run_scheduled]:
		queue.remove(push)
		push()


def profile_requests(sidecar) -> list[dict]:
	"""The sidecar requests about sync profiles (saving a connection PUTs it too)."""
	return [r for r in sidecar.requests if r["path"].startswith("/v1/sync/")]


def sync_rows(doc=None, **filters):
	if doc is not None:
		filters.update(reference_doctype=doc.doctype, reference_name=doc.name)
	return frappe.get_all(
		DELIVERY,
		filters={"sync_profile": ("is", "set"), **filters},
		fields=["name", "sync_profile", "event_type", "payload", "status", "acked", "reference_name"],
		order_by="creation asc, name asc",
	)


class SyncTestCase(IntegrationsTestCase):
	def setUp(self):
		commit = patch.object(frappe.db, "commit", lambda: None)
		commit.start()
		self.addCleanup(commit.stop)
		self.addCleanup(frappe.set_user, "Administrator")
		self.addCleanup(sync_config.clear_profile_map)
		sync_config.clear_profile_map()


class TestProfileConfig(SyncTestCase):
	def test_save_puts_the_contract_json_after_commit(self):
		with configured_sidecar() as sidecar:
			profile = make_profile(mode="Scheduled", schedule_cron="*/15 * * * *", local_filters='{"status": "Open"}')
			self.assertEqual(sidecar.requests, [], "nothing before the commit")
			run_pushes()
		[put] = profile_requests(sidecar)
		self.assertEqual((put["method"], put["path"]), ("PUT", "/v1/sync/profiles/todo-sync"))
		body = put["body"]
		self.assertEqual((body["local_doctype"], body["direction"], body["mode"], body["schedule_cron"]), ("ToDo", "both", "scheduled", "*/15 * * * *"))
		self.assertEqual(body["conflict_strategy"], "manual")
		self.assertEqual(body["local_filters"], [["status", "=", "Open"]])
		self.assertEqual(body["remote"]["type"], "frappe")
		self.assertEqual(body["remote"]["connection_id"], frappe.db.get_value(CONNECTION, profile.connection, "sidecar_id"))
		self.assertEqual([f["local_field"] for f in body["fields"]], ["description", "status", "priority"])
		self.assertEqual(body["fields"][1]["rule"], "prefer_remote_unless_blank")
		self.assertEqual(body["fields"][2]["transform"], {"type": "value_map", "map": {"High": "urgent"}})
		self.assertIsNone(body["match_on"])
		self.assertNotIn("key:secret", json.dumps(body), "the connection's credential stays with the connection")
		self.assertEqual(frappe.db.get_value(PROFILE, profile.name, "sidecar_synced"), 1)

	def test_disable_and_delete_remove_it_from_the_sidecar_and_purge_its_log(self):
		with configured_sidecar() as sidecar:
			profile = make_profile()
			run_pushes()
			profile.enabled = 0
			profile.save()
			run_pushes()
			engine["write_sync_logs"](profile_id="todo-sync", rows=[{"local_name": "T-1", "external_id": "R-1", "status": "Synced"}])
			engine["report_run"](profile_id="todo-sync", run={"run_id": "r-del", "kind": "full", "status": "succeeded", "stats": {}})
			with patch("frappe.enqueue") as enqueue:
				frappe.delete_doc(PROFILE, profile.name)
			run_pushes()
		self.assertEqual(
			[(r["method"], r["path"]) for r in profile_requests(sidecar)],
			[("PUT", "/v1/sync/profiles/todo-sync"), ("DELETE", "/v1/sync/profiles/todo-sync"), ("DELETE", "/v1/sync/profiles/todo-sync")],
		)
		# the log and runs outlive the delete's transaction; a background job removes them
		self.assertEqual(frappe.db.count(LOG, {"profile": "todo-sync"}), 1)
		[purge] = [c for c in enqueue.call_args_list if c.args == ("integrations_app.retention.purge_log",)]
		self.assertEqual((purge.kwargs["owner_doctype"], purge.kwargs["owner"], purge.kwargs["enqueue_after_commit"]), (PROFILE, "todo-sync", True))
		with simulated_transactions():
			self.assertEqual(retention.purge_log(PROFILE, "todo-sync", chunk=1), 2)
		self.assertEqual((frappe.db.count(LOG, {"profile": "todo-sync"}), frappe.db.count(RUN, {"profile": "todo-sync"})), (0, 0))

	def test_uninstall_deletes_it_from_the_sidecar(self):
		with configured_sidecar() as sidecar:
			make_profile()
			self.assertEqual(uninstall.remove_sidecar_endpoints(), [])
		self.assertIn(("DELETE", "/v1/sync/profiles/todo-sync"), [(r["method"], r["path"]) for r in sidecar.requests])

	def test_a_sidecar_that_is_down_gets_it_from_the_minutely_job(self):
		configure_sidecar("http://127.0.0.1:9")
		profile = make_profile()
		run_pushes()
		self.assertEqual(frappe.db.get_value(PROFILE, profile.name, "sidecar_synced"), 0)
		with configured_sidecar() as sidecar:
			outbox.repush_unacked()
		self.assertIn(("PUT", "/v1/sync/profiles/todo-sync"), [(r["method"], r["path"]) for r in sidecar.requests])

	def test_what_the_sidecar_would_refuse_is_refused_on_save(self):
		cases = [
			({"field_map": [{"local_field": "no_such_field", "remote_field": "x"}]}, "no field 'no_such_field'"),
			({"mode": "Scheduled", "schedule_cron": "every hour"}, "Cron"),
			({"remote_type": "Generic REST", "list_path": "https://elsewhere.example/x", "get_path": "/x/{id}"}, "List Path"),
			({"remote_delete_rule": "Absence"}, "Absence"),
			({"profile_name": "has space"}, "Profile Name"),
			({"local_doctype": "Integration Webhook"}, "own DocTypes"),
			({"local_doctype": "Has Role"}, "child tables"),
		]
		for fields, message in cases:
			with self.subTest(fields=fields), self.assertRaisesRegex(frappe.ValidationError, message):
				make_profile(**fields)
		profile = make_profile("self-link")
		profile.append("field_map", {"local_field": "allocated_to", "remote_field": "owner_id", "transform_type": "Link", "link_profile": "self-link"})
		with self.assertRaisesRegex(frappe.ValidationError, "another profile"):
			profile.save()


class TestRealtimeOutbox(SyncTestCase):
	def test_a_realtime_profile_gets_an_outbox_row_in_the_documents_transaction(self):
		profile = make_profile(mode="Real-time", schedule_cron="0 * * * *")
		make_profile("batch-only")
		todo = make_todo("to sync")
		self.assertEqual(sync_rows(todo), [], "nothing before the commit")
		flush()
		[row] = sync_rows(todo)
		self.assertEqual((row.sync_profile, row.event_type, json.loads(row.payload)), (profile.name, "sync.upsert", {"name": todo.name}))
		[hand_off] = take_after_commit(handoff._after_commit)
		with private_stream() as key:
			hand_off()
			[messages] = stream_messages(key)
		[message] = [m for m in messages if m["id"] == row.name]
		self.assertEqual(message["sync_profile_id"], profile.name)
		self.assertNotIn("endpoint_id", message)
		self.assertNotIn("stream_id", message)

	def test_the_last_event_of_a_transaction_wins_and_deletes_follow_push_deletes(self):
		make_profile(mode="Real-time")
		make_profile("no-deletes", mode="Real-time", push_deletes=0)
		todo = make_todo("short lived")
		todo.description = "changed"
		todo.save()
		frappe.delete_doc("ToDo", todo.name)
		flush()
		rows = sync_rows(todo)
		self.assertEqual([(r.sync_profile, r.event_type) for r in rows], [("todo-sync", "sync.delete")])

	def test_what_the_sync_writes_for_a_profile_is_not_sent_back_to_it(self):
		make_profile(mode="Real-time")
		make_profile("other", mode="Real-time")
		answer = engine["upsert_records"](profile_id="todo-sync", doctype="ToDo", records=[{"key": "r1", "name": None, "values": {"description": "from remote"}}])
		[result] = answer["results"]
		self.assertTrue(result["ok"], result)
		flush()
		rows = sync_rows(reference_doctype="ToDo", reference_name=result["name"])
		self.assertEqual([r.sync_profile for r in rows], ["other"], "the writing profile gets no echo; the other one does")

	def test_acknowledged_sync_rows_are_done(self):
		make_profile(mode="Real-time")
		todo = make_todo("acked")
		flush()
		[row] = sync_rows(todo)
		outbox.acknowledge([row.name], [])
		self.assertEqual(frappe.db.get_value(DELIVERY, row.name, ["status", "acked"]), ("Succeeded", 1))

	def test_an_unknown_profile_at_the_sidecar_is_put_again(self):
		profile = make_profile(mode="Real-time")
		frappe.db.set_value(PROFILE, profile.name, "sidecar_synced", 1)
		todo = make_todo("rejected")
		flush()
		[row] = sync_rows(todo)
		outbox.acknowledge([], [{"id": row.name, "code": "sync_profile_not_found", "message": "unknown"}])
		self.assertEqual(frappe.db.get_value(PROFILE, profile.name, "sidecar_synced"), 0)
		self.assertEqual(frappe.db.get_value(DELIVERY, row.name, "status"), "Queued")


class TestEngineMethods(SyncTestCase):
	def setUp(self):
		super().setUp()
		self.profile = make_profile()

	def test_only_the_sidecar_user_and_only_for_a_synced_doctype(self):
		for user in (IM_USER, "Administrator"):
			frappe.set_user(user)
			with self.subTest(user=user), self.assertRaises(frappe.PermissionError):
				api.list_changes(profile_id="todo-sync", doctype="ToDo", since=None, limit=10)
		frappe.set_user("Administrator")
		with self.assertRaises(frappe.PermissionError):
			engine["get_records"](doctype="Note", names=["x"])
		with self.assertRaisesRegex(frappe.ValidationError, "syncs ToDo, not Note"):
			engine["list_changes"](profile_id="todo-sync", doctype="Note", since=None, limit=10)

	def test_list_changes_pages_by_keyset_and_rereads_the_lookback(self):
		stamp = "2026-01-01 10:00:00.000000"
		todos = [make_todo(f"same time {i}") for i in range(3)]
		for t in todos:
			frappe.db.set_value("ToDo", t.name, "modified", stamp, update_modified=False)
		later = make_todo("later")
		# right after the shared stamp: the site's own ToDos (any number) all come later still
		frappe.db.set_value("ToDo", later.name, "modified", "2026-01-01 10:00:01.000000", update_modified=False)
		since = {"modified": "2026-01-01 09:59:59.000000", "name": ""}
		first = engine["list_changes"](profile_id="todo-sync", doctype="ToDo", since=since, limit=2)
		names = sorted(t.name for t in todos)
		self.assertEqual([r["name"] for r in first["records"]], names[:2])
		self.assertEqual((get_datetime(first["next"]["modified"]), first["next"]["name"]), (get_datetime(stamp), names[1]))
		second = engine["list_changes"](profile_id="todo-sync", doctype="ToDo", since=first["next"], limit=2)
		self.assertEqual([r["name"] for r in second["records"]][:1], names[2:], "the row sharing the timestamp is not missed")
		self.assertIn(later.name, [r["name"] for r in second["records"]] + [r["name"] for r in engine["list_changes"](profile_id="todo-sync", doctype="ToDo", since=second["next"] or first["next"], limit=10)["records"]])
		record = first["records"][0]
		self.assertEqual(record["doc"]["description"], frappe.db.get_value("ToDo", record["name"], "description"))
		# read in one query, the same as the document loaded on its own
		[alone] = engine["get_records"](doctype="ToDo", names=[record["name"]])["records"]
		self.assertEqual(record["doc"], alone["doc"])
		expected = frappe.get_doc("ToDo", record["name"]).as_dict(convert_dates_to_str=True, no_nulls=False)
		self.assertEqual(json.loads(frappe.as_json(record["doc"])), json.loads(frappe.as_json({k: v for k, v in expected.items() if not k.startswith("__")})))
		self.assertTrue(record["modified_utc"].endswith("Z"))
		# a lookback re-reads rows at and just before the cursor
		again = engine["list_changes"](profile_id="todo-sync", doctype="ToDo", since={"modified": stamp, "name": names[2]}, limit=10, lookback_s=60)
		self.assertLessEqual(set(names), {r["name"] for r in again["records"]})

	def test_find_records_answers_the_holders_of_each_key_value_two_at_most(self):
		twins = [make_todo("match twin") for _ in range(3)]
		alone = make_todo("match alone")
		found = engine["find_records"](profile_id="todo-sync", doctype="ToDo", field="description", values=["match twin", "match alone", "match none"])
		names = [r["name"] for r in found["records"]]
		self.assertEqual(len([n for n in names if n in {t.name for t in twins}]), 2, "two are enough to tell several from one")
		self.assertIn(alone.name, names)
		self.assertEqual(found["records"][names.index(alone.name)]["doc"]["description"], "match alone")
		with self.assertRaisesRegex(frappe.ValidationError, "no field 'nope'"):
			engine["find_records"](profile_id="todo-sync", doctype="ToDo", field="nope", values=["x"])
		with self.assertRaisesRegex(frappe.ValidationError, "syncs ToDo, not Note"):
			engine["find_records"](profile_id="todo-sync", doctype="Note", field="title", values=["x"])

	def test_upsert_writes_each_record_alone_and_answers_per_record(self):
		existing = make_todo("before")
		messages = len(frappe.local.message_log)
		answer = engine["upsert_records"](
			profile_id="todo-sync",
			doctype="ToDo",
			records=[
				{"key": "a", "name": None, "values": {"description": "new one", "priority": "High"}},
				{"key": "b", "name": None, "values": {"description": "bad", "status": "Bogus"}},
				{"key": "c", "name": existing.name, "values": {"description": "after"}},
				{"key": "d", "name": "no-such-todo", "values": {"description": "x"}},
				{"key": "e", "name": None, "values": {"owner": "someone@example.com"}},
			],
		)
		by_key = {r["key"]: r for r in answer["results"]}
		self.assertTrue(by_key["a"]["ok"] and by_key["a"]["created"])
		self.assertEqual(by_key["a"]["record"]["doc"]["priority"], "High")
		self.assertEqual((by_key["b"]["ok"], by_key["b"]["code"], by_key["b"]["retryable"]), (False, "validation", False))
		self.assertTrue(by_key["c"]["ok"] and not by_key["c"]["created"])
		self.assertEqual(frappe.db.get_value("ToDo", existing.name, "description"), "after")
		self.assertEqual((by_key["d"]["ok"], by_key["d"]["code"]), (False, "not_found"))
		self.assertEqual((by_key["e"]["ok"], by_key["e"]["code"]), (False, "validation"))
		self.assertTrue(frappe.db.exists("ToDo", by_key["a"]["name"]), "a failed record rolled back only itself")
		self.assertEqual(frappe.get_all("ToDo", filters={"description": "bad"}), [])
		self.assertFalse(frappe.flags.get("integrations_sync_profile"), "the echo marker is cleared")
		self.assertEqual(len(frappe.local.message_log), messages, "no message for the caller to see")

	def test_a_repeated_insert_answers_the_document_made_the_first_time(self):
		item = {"key": "k", "name": None, "values": {"description": "once"}, "idempotency_key": "remote-77"}
		first = engine["upsert_records"](profile_id="todo-sync", doctype="ToDo", records=[item])["results"][0]
		again = engine["upsert_records"](profile_id="todo-sync", doctype="ToDo", records=[item])["results"][0]
		self.assertEqual((first["created"], again["created"], again["name"]), (True, False, first["name"]))
		self.assertEqual(len(frappe.get_all("ToDo", filters={"description": "once"})), 1)
		frappe.delete_doc("ToDo", first["name"])  # a cached name whose document is gone is ignored
		third = engine["upsert_records"](profile_id="todo-sync", doctype="ToDo", records=[item])["results"][0]
		self.assertTrue(third["created"])
		self.assertNotEqual(third["name"], first["name"])
		other = engine["upsert_records"](profile_id="todo-sync", doctype="ToDo", records=[{**item, "idempotency_key": "remote-78"}])["results"][0]
		self.assertTrue(other["created"])

	def test_delete_records_and_list_deleted(self):
		todo = make_todo("to delete")
		answer = engine["delete_records"](profile_id="todo-sync", doctype="ToDo", names=[todo.name, "already-gone"])
		self.assertEqual(answer["results"], [{"name": todo.name, "ok": True}, {"name": "already-gone", "ok": True}])
		self.assertFalse(frappe.db.exists("ToDo", todo.name))
		deleted = engine["list_deleted"](doctype="ToDo", since=None, limit=1000)
		[mine] = [r for r in deleted["records"] if r["name"] == todo.name]
		self.assertTrue(mine["deleted_at_utc"].endswith("Z"))
		self.assertEqual(frappe.db.get_value("Deleted Document", mine["deletion_id"], "deleted_name"), todo.name)
		after = engine["list_deleted"](doctype="ToDo", since={"creation": mine["deleted_at"], "name": mine["deletion_id"]}, limit=10)
		self.assertNotIn(todo.name, [r["name"] for r in after["records"]])

	def test_sync_logs_upsert_by_external_id_then_local_name_and_keep_a_timeline(self):
		write = engine["write_sync_logs"]
		write(profile_id="todo-sync", rows=[
			{"local_name": "T-1", "external_id": None, "status": "Failed", "attempts": 1, "error": "remote 500", "events": [{"at": "2026-12-01T00:00:00Z", "action": "push", "status": "Failed"}]},
			{"local_name": None, "external_id": "R-2", "status": "Synced", "last_direction": "pull", "base_values": {"description": "x"}, "last_synced_at": "2026-12-01T00:00:00Z"},
		])
		write(profile_id="todo-sync", rows=[{"local_name": "T-1", "external_id": "R-1", "status": "Synced", "attempts": 0, "error": None, "events": [{"at": "2026-12-01T00:01:00Z", "action": "push", "status": "Synced"}]}])
		write(profile_id="todo-sync", rows=[{"local_name": "T-2", "external_id": "R-2", "status": "Conflict", "conflict": {"detected_at": "2026-12-01T00:02:00Z", "fields": ["description"], "local": {"description": "a"}, "remote": {"description": "b"}, "base": {"description": "x"}}}])
		rows = frappe.get_all(LOG, filters={"profile": "todo-sync"}, fields=["local_name", "external_id", "status", "attempts", "error", "history", "local_doctype"], order_by="local_name asc")
		self.assertEqual([(r.local_name, r.external_id, r.status) for r in rows], [("T-1", "R-1", "Synced"), ("T-2", "R-2", "Conflict")])
		self.assertEqual((rows[0].attempts, rows[0].error, rows[0].local_doctype), (0, None, "ToDo"))
		self.assertEqual([e["status"] for e in history.parse(rows[0].history)], ["Failed", "Synced"])
		got = engine["get_sync_logs"](profile_id="todo-sync", external_ids=["R-2"], local_names=["T-1"])["rows"]
		by_id = {r["external_id"]: r for r in got}
		self.assertEqual(by_id["R-2"]["base_values"], {"description": "x"})
		self.assertEqual(by_id["R-2"]["conflict"]["fields"], ["description"])
		self.assertTrue(by_id["R-2"]["last_synced_at"].endswith("Z"))
		self.assertNotIn("history", by_id["R-1"])
		page = engine["list_sync_logs"](profile_id="todo-sync", status="Conflict", after=None, limit=10)
		self.assertEqual([r["external_id"] for r in page["rows"]], ["R-2"])
		with self.assertRaisesRegex(frappe.ValidationError, r"rows\[0\]"):
			write(profile_id="todo-sync", rows=[{"status": "Synced"}])

	def test_the_database_refuses_a_second_row_for_an_external_id(self):
		engine["write_sync_logs"](profile_id="todo-sync", rows=[{"local_name": "T-9", "external_id": "R-9", "status": "Synced"}])
		with self.assertRaises(frappe.UniqueValidationError):
			frappe.get_doc({"doctype": LOG, "profile": "todo-sync", "external_id": "R-9", "local_name": "T-other"}).db_insert()
		# a concurrent writer's row for the same id becomes an update of it
		from integrations_app.sync import sync_log
		from integrations_app.sync.rules.logs import parse_row

		sync_log._insert("todo-sync", "ToDo", parse_row({"external_id": "R-9", "local_name": "T-9"}), {"status": "Failed"}, "[]", frappe.utils.now(), "Administrator")
		self.assertEqual(frappe.get_all(LOG, filters={"external_id": "R-9"}, pluck="status"), ["Failed"])

	def test_report_run_keeps_history_summary_and_cursors(self):
		run = {
			"run_id": "run-1", "profile_id": "todo-sync", "kind": "full", "status": "running", "phase": "pull",
			"started_at": "2026-12-01T00:00:00Z", "finished_at": None,
			"stats": {"seen": 10, "created": 2, "updated": 1, "deleted": 0, "skipped": 7, "failed": 0, "conflicts": 0}, "total": 40, "error": None,
			"state": {"local_cursor": {"modified": "2026-12-01 05:30:00.000000", "name": "T-1"}, "remote_cursor": "2026-12-01T00:00:00Z", "deleted_cursor": None},
		}
		engine["report_run"](profile_id="todo-sync", run=run)
		engine["report_run"](profile_id="todo-sync", run={**run, "status": "succeeded", "finished_at": "2026-12-01T00:00:09Z", "state": None})
		engine["report_run"](profile_id="todo-sync", run={**run, "status": "running", "state": None})  # late
		[saved] = frappe.get_all(RUN, filters={"run_id": "run-1"}, fields=["name", "kind", "status", "seen", "total", "created", "finished_at"])
		self.assertEqual((saved.kind, saved.status, saved.seen, saved.total, saved.created), ("Full", "Succeeded", 10, 40, 2))
		self.assertIsNotNone(saved.finished_at)
		profile = frappe.get_doc(PROFILE, "todo-sync")
		self.assertEqual((profile.last_run, profile.last_run_status), (saved.name, "Succeeded"))
		state = engine["get_profile"](profile_id="todo-sync")["state"]
		self.assertEqual(state, {"local_cursor": {"modified": "2026-12-01 05:30:00.000000", "name": "T-1"}, "remote_cursor": "2026-12-01T00:00:00Z", "deleted_cursor": None})
		self.assertIsNone(engine["get_profile"](profile_id="nope"))
		with self.assertRaisesRegex(frappe.ValidationError, "run.kind"):
			engine["report_run"](profile_id="todo-sync", run={**run, "kind": "weekly"})


def on_own_connection(fn):
	"""Run `fn()` in a thread on its own connection to this site and commit, as a request would;
	→ its result, or the exception it raised (rolled back)."""
	site, sites_path, out = frappe.local.site, frappe.local.sites_path, {}

	def work():
		frappe.init(site=site, sites_path=sites_path)
		frappe.connect()
		try:
			out["value"] = fn()
			frappe.db.commit()
		except Exception as e:
			out["value"] = e
			frappe.db.rollback()
		finally:
			frappe.destroy()

	thread = threading.Thread(target=work)
	thread.start()
	return thread, out


class TestRunReportRace(IntegrationsTestCase):
	"""The desk's run_now stores the run the sidecar queued while the sidecar's first report of
	that run arrives: two requests, two connections, both committing (not the test transaction)."""

	PROFILE_ID = "race-sync-profile"
	RUN_ID = "race-run-1"

	def setUp(self):
		super().setUp()

		def make():  # the bare row: record_run needs it to exist, and no save hook may call a sidecar
			frappe.get_doc({"doctype": PROFILE, "name": self.PROFILE_ID, "profile_name": self.PROFILE_ID, "local_doctype": "ToDo",
				"connection": "none", "direction": "Both", "mode": "Batch", "conflict_strategy": "Manual"}).db_insert()

		def drop():
			frappe.db.delete(RUN, {"run_id": self.RUN_ID})
			frappe.db.delete(PROFILE, {"name": self.PROFILE_ID})

		self.join(*on_own_connection(drop))
		self.join(*on_own_connection(make))
		self.addCleanup(lambda: self.join(*on_own_connection(drop)))

	def join(self, thread, out):
		thread.join(60)
		self.assertFalse(thread.is_alive(), "a report is still waiting after 60 s")
		if isinstance(out.get("value"), Exception):
			raise out["value"]
		return out.get("value")

	def test_desk_and_sidecar_storing_one_new_run_at_once_both_succeed(self):
		from integrations_app.sync import runs

		run = {"run_id": self.RUN_ID, "profile_id": self.PROFILE_ID, "kind": "incremental", "phase": "pull", "started_at": "2026-12-01T05:00:00Z",
			"finished_at": None, "stats": {}, "total": None, "error": None}
		both_looked = threading.Barrier(2)
		real_get_doc = frappe.get_doc

		def get_doc(*args, **kwargs):
			if args and isinstance(args[0], dict) and args[0].get("doctype") == RUN:
				try:  # hold the first insert until the other report has looked the run up too
					both_looked.wait(timeout=3)
				except threading.BrokenBarrierError:
					pass  # the other report waits for this one's locks: it cannot get here first
			return real_get_doc(*args, **kwargs)

		with patch.object(frappe, "get_doc", get_doc):
			desk = on_own_connection(lambda: runs.record_run(self.PROFILE_ID, {**run, "status": "queued"}, "Administrator"))
			sidecar = on_own_connection(lambda: runs.record_run(self.PROFILE_ID, {**run, "status": "running"}))
			names = {self.join(*desk), self.join(*sidecar)}  # a deadlock raises QueryDeadlockError here

		rows = self.join(*on_own_connection(lambda: frappe.get_all(RUN, filters={"run_id": self.RUN_ID}, fields=["name", "requested_by"])))
		self.assertEqual(len(rows), 1)
		self.assertEqual(names, {rows[0].name})
		self.assertEqual(rows[0].requested_by, "Administrator")

	def test_a_late_queued_answer_does_not_reopen_a_run_the_sidecar_finished(self):
		from integrations_app.sync import runs

		run = {"run_id": self.RUN_ID, "profile_id": self.PROFILE_ID, "kind": "incremental", "phase": "done", "started_at": "2026-12-01T05:00:00Z",
			"finished_at": "2026-12-01T05:00:01Z", "stats": {}, "total": None, "error": None}
		self.join(*on_own_connection(lambda: runs.record_run(self.PROFILE_ID, {**run, "status": "succeeded"})))
		self.join(*on_own_connection(lambda: runs.record_run(self.PROFILE_ID, {**run, "status": "queued", "finished_at": None}, "Administrator")))
		row = self.join(*on_own_connection(lambda: frappe.db.get_value(RUN, {"run_id": self.RUN_ID}, ["status", "requested_by"], as_dict=True)))
		last = self.join(*on_own_connection(lambda: frappe.db.get_value(PROFILE, self.PROFILE_ID, "last_run_status")))
		self.assertEqual((row.status, row.requested_by, last), ("Succeeded", "Administrator", "Succeeded"))

def resolve_answer(method, path, body):
	if path.endswith("/runs"):
		return 202, {"run_id": "run-desk", "profile_id": "todo-sync", "kind": body["kind"], "status": "queued", "started_at": "2026-12-01T00:00:00Z", "finished_at": None, "stats": {}, "total": None, "error": None}
	if path.endswith("/conflicts/resolve"):
		return 200, {"status": "Synced", "local_name": body.get("local_name"), "external_id": body.get("external_id"), "error": None}
	if path.endswith("/records/resync"):
		return 202, {"queued": True}
	return FakeSidecar.default_respond(method, path, body)


class TestDesk(SyncTestCase):
	def setUp(self):
		super().setUp()
		self.profile = make_profile()
		engine["write_sync_logs"](profile_id="todo-sync", rows=[
			{"local_name": "T-1", "external_id": "R-1", "status": "Conflict", "conflict": {"detected_at": "2026-12-01T00:02:00Z", "fields": ["description"], "local": {"description": "a", "status": "Open"}, "remote": {"description": "b", "status": "Closed"}, "base": {"description": "x", "status": "Open"}},
			 "events": [{"at": "2026-12-01T00:01:00Z", "action": "pull", "status": "Synced"}, {"at": "2026-12-01T00:02:00Z", "action": "conflict", "status": "Conflict"}]},
			{"local_name": "T-2", "external_id": "R-2", "status": "Failed", "error": "remote 500", "attempts": 2},
		])
		self.conflict = frappe.db.get_value(LOG, {"external_id": "R-1"}, "name")

	def test_an_integration_manager_lists_runs_now_and_resolves(self):
		frappe.set_user(IM_USER)
		[listed] = [p for p in api.list_profiles() if p["name"] == "todo-sync"]
		self.assertEqual((listed["failed"], listed["conflicts"], listed["active_run"]), (1, 1, None))
		with configured_sidecar(resolve_answer) as sidecar:
			run = api.run_now(profile="todo-sync", kind="full")
			self.assertEqual((run["run_id"], run["kind"], run["status"], run["requested_by"]), ("run-desk", "Full", "Queued", IM_USER))
			self.assertEqual(api.list_runs(profile="todo-sync")[0]["run_id"], "run-desk")
			[listed] = [p for p in api.list_profiles() if p["name"] == "todo-sync"]
			self.assertEqual(listed["active_run"]["run_id"], "run-desk")
			view = api.get_conflict(log=self.conflict)
			self.assertEqual([(r["field"], r["conflict"]) for r in view["rows"]], [("description", True), ("status", False)])
			with self.assertRaisesRegex(frappe.ValidationError, "missing: description"):
				api.resolve_conflict(log=self.conflict, take="merge", values={"status": "Open"})
			answer = api.resolve_conflict(log=self.conflict, take="merge", values={"description": "a and b"})
			self.assertEqual(answer["status"], "Synced")
			self.assertEqual(api.resync_record(profile="todo-sync", local_name="T-2"), {"queued": True})
		calls = [(r["method"], r["path"], r["body"]) for r in sidecar.requests if r["method"] == "POST"]
		self.assertEqual(calls, [
			("POST", "/v1/sync/profiles/todo-sync/runs", {"kind": "full"}),
			("POST", "/v1/sync/profiles/todo-sync/conflicts/resolve", {"take": "merge", "local_name": "T-1", "external_id": "R-1", "values": {"description": "a and b"}}),
			("POST", "/v1/sync/profiles/todo-sync/records/resync", {"local_name": "T-2"}),
		])

	def test_a_sidecar_that_does_not_know_the_profile_gets_it_then_the_action_is_repeated(self):
		def respond(method, path, body):
			if path.endswith("/runs") and not any(r["method"] == "PUT" for r in sidecar.requests):
				return 404, {"error": {"code": "sync_profile_not_found", "message": "unknown profile"}}
			return resolve_answer(method, path, body)

		with configured_sidecar(respond) as sidecar:
			api.run_now(profile="todo-sync")
		self.assertEqual([(r["method"], r["path"]) for r in sidecar.requests], [
			("POST", "/v1/sync/profiles/todo-sync/runs"), ("PUT", "/v1/sync/profiles/todo-sync"), ("POST", "/v1/sync/profiles/todo-sync/runs"),
		])

	def test_each_sidecar_refusal_is_its_own_error(self):
		"""An unknown profile, an unknown record and a settled conflict: a class and a message each."""
		answers = {
			"sync_record_not_found": (404, SyncRecordNotFound, "No record local T-9 in this profile"),
			"conflict_already_resolved": (409, ConflictAlreadyResolved, "already resolved"),
			"sync_profile_not_found": (404, SyncProfileNotFound, "sidecar does not know sync profile todo-sync"),
		}
		for code, (status, error, message) in answers.items():
			with self.subTest(code=code), configured_sidecar(lambda method, path, body, code=code, status=status: (status, {"error": {"code": code, "message": "x"}})):
				with self.assertRaisesRegex(error, message) as raised:
					if code == "conflict_already_resolved":
						api.resolve_conflict(log=self.conflict, take="local")
					else:
						api.resync_record(profile="todo-sync", local_name="T-9")
				self.assertEqual(raised.exception.http_status_code, status)
		with self.assertRaises(SyncProfileNotFound):
			api.run_now(profile="no-such-profile")
		with self.assertRaises(SyncRecordNotFound):
			api.record_timeline(log="no-such-row")

	def test_conflict_queue_and_timeline(self):
		[row] = api.list_conflicts(profile="todo-sync")
		self.assertEqual((row["external_id"], row["fields"]), ("R-1", ["description"]))
		timeline = api.record_timeline(log=self.conflict)
		self.assertEqual([e["action"] for e in timeline["events"]], ["conflict", "pull"], "newest first")
		failed = api.list_records(profile="todo-sync", status="Failed")
		self.assertEqual([r["external_id"] for r in failed], ["R-2"])
		self.assertEqual([r["external_id"] for r in api.list_records(profile="todo-sync", search="R-1")], ["R-1"])
		frappe.db.set_value(LOG, self.conflict, "status", "Synced")
		with self.assertRaisesRegex(ConflictAlreadyResolved, "already resolved: the record is Synced"):
			api.resolve_conflict(log=self.conflict, take="local")

	def test_a_user_without_a_manager_role_is_refused(self):
		frappe.set_user(PLAIN_USER)
		for call in (
			lambda: api.list_profiles(),
			lambda: api.run_now(profile="todo-sync"),
			lambda: api.list_conflicts(),
			lambda: api.get_conflict(log=self.conflict),
			lambda: api.resolve_conflict(log=self.conflict, take="local"),
			lambda: api.record_timeline(log=self.conflict),
		):
			with self.assertRaises(frappe.PermissionError):
				call()

	def test_an_integration_manager_cannot_sync_a_doctype_it_may_not_write(self):
		frappe.set_user(IM_USER)
		with self.assertRaises(frappe.PermissionError):
			make_profile("users", local_doctype="User", field_map=[{"local_field": "first_name", "remote_field": "first_name"}])
		profile = make_profile("im-todos", pull_deletes=0)
		self.assertEqual(profile.owner, IM_USER)
