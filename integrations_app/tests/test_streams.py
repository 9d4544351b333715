"""Integration Streams (issue 11, Frappe side): one outbox for webhooks and streams, tokens kept
only as hashes and shown once, the sidecar's configuration, and who may do what.

Run as Administrator unless a test says otherwise; permission tests act as a user holding only
Integration Manager, and as a user with no manager role.
"""

import hashlib
import json
from unittest.mock import patch

import frappe
from frappe.permissions import add_permission
from frappe.utils import add_to_date, get_datetime, now_datetime

from integrations_app.api import sidecar as sidecar_api
from integrations_app.api import streams as api
from integrations_app.outbound import outbox
from integrations_app.outbound.webhook_map import get_webhook_map
from integrations_app.sidecar import config_sync, handoff
from integrations_app.streams import tokens
from integrations_app.tests.helpers import (
	DELIVERY,
	IM_USER,
	PLAIN_USER,
	FakeSidecar,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
	flush,
	make_todo,
	make_webhook,
	take_after_commit,
	user_roles,
)
from integrations_app.sidecar.client import SidecarClient
from integrations_app.tests.test_push import delivery_statements, private_stream, recorded_sql, stream_messages

STREAM = "Integration Stream"
TOKEN = "Integration Stream Token"
# Fully readable by an Integration Manager once a test grants it (no permission query).
READABLE = "Blog Category"

acknowledge = as_sidecar(sidecar_api.acknowledge_messages)


def make_stream(stream_id="t-orders", sources=(("ToDo", "after_insert"),), **fields):
	rows = [{"reference_doctype": s[0], "event": s[1], "condition": s[2] if len(s) > 2 else None} for s in sources]
	return frappe.get_doc(
		{"doctype": STREAM, "title": fields.pop("title", "Test stream"), "stream_id": stream_id, "sources": rows, **fields}
	).insert()


def stream_rows(doc) -> list:
	return frappe.get_all(
		DELIVERY,
		filters={"reference_doctype": doc.doctype, "reference_name": doc.name},
		fields=["name", "webhook", "stream", "event_type", "status", "acked", "payload"],
		order_by="creation asc, name asc",
	)


def run_pushes():
	"""Run the after-commit config pushes queued so far (what commit would do)."""
	queue = frappe.db.after_commit._functions
	for push in [f for f in queue if f is config_sync._run_scheduled]:
		queue.remove(push)
		push()


class StreamsTestCase(IntegrationsTestCase):
	def setUp(self):
		# The after-commit config push commits; the test's rollback must still undo everything.
		commit = patch.object(frappe.db, "commit", lambda: None)
		commit.start()
		self.addCleanup(commit.stop)
		self.addCleanup(frappe.set_user, "Administrator")


class TestOneOutbox(StreamsTestCase):
	def test_a_stream_row_is_written_with_the_webhook_row_in_the_documents_transaction(self):
		webhook = make_webhook(events=["after_insert"])
		stream = make_stream()
		todo = make_todo("for both")
		self.assertEqual(stream_rows(todo), [], "nothing before the commit")
		flush()  # what commit does first
		rows = stream_rows(todo)
		self.assertEqual({(r.webhook, r.stream) for r in rows}, {(webhook.name, None), (None, stream.name)})
		self.assertEqual(len(rows), 2)
		self.assertEqual({r.event_type for r in rows}, {"todo.created"})
		[for_stream] = [r for r in rows if r.stream]
		self.assertEqual(json.loads(for_stream.payload)["description"], "for both")
		self.assertEqual((for_stream.status, for_stream.acked), ("Queued", 0))

	def test_rollback_leaves_no_row_and_no_hand_off(self):
		make_stream()
		todo = make_todo("rolled back")
		flush()
		self.assertEqual(len(stream_rows(todo)), 1)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("ToDo", todo.name))
		self.assertEqual(frappe.get_all(DELIVERY, filters={"reference_name": todo.name}), [])
		self.assertEqual(take_after_commit(handoff._after_commit), [])

	def test_rollback_before_commit_discards_the_pending_match(self):
		make_stream()
		todo = make_todo("never committed")
		frappe.db.rollback()
		flush()
		self.assertEqual(frappe.get_all(DELIVERY, filters={"reference_name": todo.name}), [])

	def test_hand_off_names_the_stream_not_an_endpoint(self):
		webhook = make_webhook(events=["after_insert"])
		stream = make_stream()
		todo = make_todo("handed off")
		flush()
		[hand_off] = take_after_commit(handoff._after_commit)
		with private_stream() as key:
			hand_off()
			[messages] = stream_messages(key)
		by_id = {m["id"]: m for m in messages}
		for row in stream_rows(todo):
			message = by_id[row.name]
			if row.stream:
				self.assertEqual(message["stream_id"], stream.name)
				self.assertNotIn("endpoint_id", message)
			else:
				self.assertEqual(message["endpoint_id"], webhook.name)
				self.assertNotIn("stream_id", message)
			self.assertEqual(message["payload"]["description"], "handed off")

	def test_sources_events_and_conditions_filter_like_a_webhooks(self):
		stream = make_stream(
			sources=[("ToDo", "after_insert", "doc.priority == 'High'"), ("ToDo", "on_update")],
		)
		low = make_todo("low")
		high = frappe.get_doc({"doctype": "ToDo", "description": "high", "priority": "High"}).insert()
		flush()
		self.assertEqual(stream_rows(low), [])
		self.assertEqual([r.event_type for r in stream_rows(high)], ["todo.created"])
		low.description = "low, edited"
		low.save()
		flush()
		self.assertEqual([(r.stream, r.event_type) for r in stream_rows(low)], [(stream.name, "todo.updated")])

	def test_a_broken_condition_is_recorded_on_the_stream_and_the_save_goes_on(self):
		stream = make_stream(sources=[("ToDo", "after_insert", "doc.no_such_field.upper()")])
		todo = make_todo("still saved")
		flush()
		self.assertEqual(stream_rows(todo), [])
		self.assertIn("AttributeError", frappe.db.get_value(STREAM, stream.name, "last_condition_error") or "")
		stream.reload()
		stream.title = "renamed"
		stream.save()
		self.assertIn("AttributeError", stream.last_condition_error, "kept while the conditions stay")
		stream.sources[0].condition = "doc.status == 'Open'"
		stream.save()
		self.assertIsNone(stream.last_condition_error, "a new condition gets a clean slate")

	def test_fields_payload(self):
		make_stream(payload_type="Fields", payload_fields="description\nstatus")
		todo = make_todo("fields only")
		flush()
		[row] = stream_rows(todo)
		self.assertEqual(json.loads(row.payload), {"doctype": "ToDo", "name": todo.name, "description": "fields only", "status": "Open"})

	def test_disabled_streams_and_other_doctypes_cost_nothing(self):
		make_stream("t-off", enabled=0)
		make_stream("t-notes", sources=[("Note", "after_insert")])
		self.assertNotIn("ToDo", get_webhook_map())
		self.assertEqual([e["name"] for e in get_webhook_map()["Note"]], ["t-notes"])
		todo = make_todo("nobody listens")
		flush()
		self.assertEqual(stream_rows(todo), [])

	def test_the_map_follows_stream_changes(self):
		stream = make_stream()
		self.assertEqual([(e["target"], e["name"]) for e in get_webhook_map()["ToDo"]], [("stream", "t-orders")])
		stream.enabled = 0
		stream.save()
		self.assertNotIn("ToDo", get_webhook_map())

	def test_acknowledged_stream_rows_are_done_webhook_rows_stay_in_flight(self):
		make_webhook(events=["after_insert"])
		make_stream()
		todo = make_todo("acked")
		flush()
		rows = stream_rows(todo)
		with recorded_sql() as statements:
			self.assertEqual(acknowledge(accepted=[r.name for r in rows]), {"acked": 2, "rejected": 0})
		self.assertEqual(len(delivery_statements(statements, "update")), 1, "one UPDATE, as for webhooks alone")
		after = {(r.webhook is None): (r.status, r.acked) for r in stream_rows(todo)}
		self.assertEqual(after, {True: ("Succeeded", 1), False: ("Queued", 1)})

	def test_a_partly_accepted_push_completes_only_the_accepted_stream_rows(self):
		make_stream()
		todos = [make_todo(f"part {i}") for i in range(3)]
		flush()
		names = [stream_rows(t)[0].name for t in todos]

		def respond(method, path, body):
			ids = [m["id"] for m in body["messages"]]
			return 202, {"accepted": ids[:1], "duplicates": ids[1:2], "rejected": []}

		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = respond
			result = outbox.push_deliveries(names, client=SidecarClient.from_settings())
		self.assertEqual(result["acked"], names[:2])
		got = {r.name: (r.status, r.acked, bool(r.completed_at)) for r in frappe.get_all(DELIVERY, filters={"name": ("in", names)}, fields=["name", "status", "acked", "completed_at"])}
		self.assertEqual([got[n] for n in names], [("Succeeded", 1, True), ("Succeeded", 1, True), ("Queued", 0, False)])
		self.assertEqual({m.get("stream_id") for m in sidecar.requests[0]["body"]["messages"]}, {"t-orders"})

	def test_minutely_repush_sends_stream_rows_and_resyncs_a_missing_stream(self):
		stream = make_stream()
		todo = make_todo("re-pushed")
		flush()
		[row] = stream_rows(todo)
		frappe.db.set_value(DELIVERY, row.name, "creation", add_to_date(now_datetime(), minutes=-2), update_modified=False)
		frappe.db.set_value(STREAM, stream.name, "sidecar_synced", 1)
		known = set()

		def respond(method, path, body):
			if method == "PUT" and path == "/v1/streams/t-orders":
				known.add("t-orders")
			if method == "POST" and path == "/v1/messages":
				# only this test's stream is unknown at first: rows the site may hold are accepted
				missing = [m for m in body["messages"] if m.get("stream_id") == "t-orders" and "t-orders" not in known]
				return 202, {
					"accepted": [m["id"] for m in body["messages"] if m not in missing],
					"duplicates": [],
					"rejected": [{"id": m["id"], "code": "stream_not_found", "message": "no such stream"} for m in missing],
				}
			return FakeSidecar.default_respond(method, path, body)

		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = respond
			outbox.repush_unacked()
		ours = [
			(r["method"], r["path"])
			for r in sidecar.requests
			if r["path"] == "/v1/streams/t-orders" or any(m["id"] == row.name for m in (r["body"] or {}).get("messages", []))
		]
		self.assertEqual(ours, [("POST", "/v1/messages"), ("PUT", "/v1/streams/t-orders"), ("POST", "/v1/messages")])
		[message] = [m for m in sidecar.requests[-1]["body"]["messages"] if m["id"] == row.name]
		self.assertEqual(message["stream_id"], "t-orders")
		self.assertNotIn("endpoint_id", message)
		self.assertEqual(frappe.db.get_value(DELIVERY, row.name, ["status", "acked"]), ("Succeeded", 1))

	def test_deleting_the_stream_cancels_what_was_never_pushed(self):
		stream = make_stream()
		todo = make_todo("orphan")
		flush()
		[row] = stream_rows(todo)
		frappe.db.set_value(DELIVERY, row.name, "creation", add_to_date(now_datetime(), minutes=-2), update_modified=False)
		frappe.delete_doc(STREAM, stream.name)

		def respond(method, path, body):
			if method == "POST" and path == "/v1/messages":
				mine = [m["id"] for m in body["messages"] if m["id"] == row.name]
				return 202, {
					"accepted": [m["id"] for m in body["messages"] if m["id"] != row.name],
					"duplicates": [],
					"rejected": [{"id": i, "code": "stream_not_found", "message": "x"} for i in mine],
				}
			return FakeSidecar.default_respond(method, path, body)

		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = respond
			outbox.repush_unacked()
		status, error = frappe.db.get_value(DELIVERY, row.name, ["status", "last_error"])
		self.assertEqual(status, "Cancelled")
		self.assertIn("Integration Stream was deleted", error)


class TestStreamValidation(StreamsTestCase):
	def test_stream_id_must_be_path_safe(self):
		for bad in ("Orders", "a/b", "-x"):
			with self.subTest(bad), self.assertRaises(frappe.ValidationError):
				make_stream(bad)

	def test_own_child_and_sensitive_doctypes_are_refused(self):
		for doctype in ("Integration Webhook", "Has Role", "User"):
			with self.subTest(doctype), self.assertRaises((frappe.ValidationError, frappe.PermissionError)):
				make_stream(sources=[(doctype, "after_insert")])

	def test_submit_events_need_a_submittable_doctype(self):
		with self.assertRaises(frappe.ValidationError):
			make_stream(sources=[("ToDo", "on_submit")])

	def test_bad_condition_origins_and_fields_are_refused(self):
		cases = {
			"condition": {"sources": [("ToDo", "after_insert", "doc.status ==")]},
			"origin": {"cors_origins": "*"},
			"field": {"payload_type": "Fields", "payload_fields": "no_such_field"},
			"retention": {"max_len": 2_000_000},
		}
		for label, fields in cases.items():
			with self.subTest(label), self.assertRaises(frappe.ValidationError):
				make_stream(f"bad-{label}", **fields)

	def test_origins_are_normalised(self):
		stream = make_stream(cors_origins="https://a.example.com/, https://b.example.com")
		self.assertEqual(stream.cors_origins, "https://a.example.com\nhttps://b.example.com")


class TestTokens(StreamsTestCase):
	def test_the_token_is_returned_once_and_only_its_hash_is_stored(self):
		stream = make_stream()
		created = api.create_token(stream=stream.name, label="dashboard")
		token = created["token"]
		self.assertTrue(token.startswith("strm_"))
		self.assertEqual(created["last4"], token[-4:])
		self.assertNotIn("token_hash", created)
		stored = frappe.db.get_value(TOKEN, created["name"], "*", as_dict=True)
		self.assertEqual(stored.token_hash, hashlib.sha256(token.encode()).hexdigest())
		self.assertNotIn(token, json.dumps(stored, default=str), "the token itself is stored nowhere")
		listed = api.list_tokens(stream=stream.name)
		self.assertEqual([t["name"] for t in listed], [created["name"]])
		self.assertNotIn(token, json.dumps(listed, default=str))
		self.assertNotIn("token_hash", listed[0])
		self.assertNotIn(stored.token_hash, json.dumps(listed, default=str))
		self.assertEqual((listed[0]["label"], listed[0]["created_by"]), ("dashboard", "Administrator"))

	def test_each_token_is_new(self):
		stream = make_stream()
		first = api.create_token(stream=stream.name, label="a")["token"]
		second = api.create_token(stream=stream.name, label="b")["token"]
		self.assertNotEqual(first, second)

	def test_labels_and_expiry_are_checked(self):
		stream = make_stream()
		for label, days in (("", None), ("x" * 141, None), ("ok", 0), ("ok", -1), ("ok", 3651)):
			with self.subTest(label=label[:5], days=days), self.assertRaises(frappe.ValidationError):
				api.create_token(stream=stream.name, label=label, expires_in_days=days)
		for label, expires in (("past", "2000-01-01 00:00:00"), ("junk", "not a date")):
			with self.subTest(label), self.assertRaises(frappe.ValidationError):
				tokens.create_token(stream.name, label, expires)
		created = api.create_token(stream=stream.name, label="week", expires_in_days=7)
		expected = add_to_date(now_datetime(), days=7)
		self.assertLess(abs((get_datetime(created["expires_at"]) - expected).total_seconds()), 60)

	def test_revoke(self):
		stream = make_stream()
		created = api.create_token(stream=stream.name, label="to revoke")
		revoked = api.revoke_token(token=created["name"])
		self.assertEqual((revoked["revoked"], revoked["revoked_by"]), (1, "Administrator"))
		self.assertTrue(revoked["revoked_at"])
		self.assertEqual(str(api.revoke_token(token=created["name"])["revoked_at"]), str(revoked["revoked_at"]), "once")

	def test_tokens_go_with_their_stream(self):
		stream = make_stream()
		api.create_token(stream=stream.name, label="a")
		frappe.delete_doc(STREAM, stream.name)
		self.assertEqual(frappe.get_all(TOKEN, filters={"stream": "t-orders"}), [])


class TestConfigPush(StreamsTestCase):
	def test_save_puts_live_hashes_retention_and_origins_after_commit(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			stream = make_stream(max_len=500, max_age_hours=2, cors_origins="https://dash.example.com")
			kept = api.create_token(stream=stream.name, label="kept", expires_in_days=1)
			gone = api.create_token(stream=stream.name, label="revoked")
			api.revoke_token(token=gone["name"])
			self.assertEqual(sidecar.requests, [], "nothing before the commit")
			run_pushes()
		[put] = sidecar.requests
		self.assertEqual((put["method"], put["path"]), ("PUT", "/v1/streams/t-orders"))
		self.assertEqual(put["headers"]["Authorization"], "Bearer test-sidecar-token")
		body = put["body"]
		[live] = body["token_hashes"]
		self.assertEqual(live["hash"], hashlib.sha256(kept["token"].encode()).hexdigest())
		self.assertTrue(live["expires_at"].endswith("Z"))
		self.assertEqual(
			{k: v for k, v in body.items() if k != "token_hashes"},
			{"max_len": 500, "max_age_s": 7200, "cors_origins": ["https://dash.example.com"]},
		)
		self.assertNotIn(kept["token"], json.dumps(body))
		self.assertEqual(frappe.db.get_value(STREAM, stream.name, "sidecar_synced"), 1)

	def test_a_tokens_filter_is_stored_with_it_and_pushed_with_its_hash(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			stream = make_stream()
			created = api.create_token(stream=stream.name, label="one customer", filter_field=" customer ", filter_value="CUST-0001")
			self.assertEqual((created["filter_field"], created["filter_value"]), ("customer", "CUST-0001"))
			self.assertEqual([t["filter_value"] for t in api.list_tokens(stream=stream.name)], ["CUST-0001"])
			run_pushes()
		[live] = sidecar.requests[-1]["body"]["token_hashes"]
		self.assertEqual(live["hash"], hashlib.sha256(created["token"].encode()).hexdigest())
		self.assertEqual(live["filter"], {"field": "customer", "equals": "CUST-0001"})

	def test_a_half_or_malformed_filter_is_refused(self):
		stream = make_stream()
		for field, value in (("customer", ""), ("", "CUST-1"), ("a..b", "x")):
			with self.subTest(field=field, value=value), self.assertRaises(frappe.ValidationError):
				api.create_token(stream=stream.name, label="bad", filter_field=field, filter_value=value)
		self.assertEqual(frappe.get_all(TOKEN, filters={"stream": stream.name}), [])

	def test_disable_and_delete_remove_it_from_the_sidecar(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			stream = make_stream()
			run_pushes()
			stream.enabled = 0
			stream.save()
			run_pushes()
			frappe.delete_doc(STREAM, stream.name)
			run_pushes()
		self.assertEqual(
			[(r["method"], r["path"]) for r in sidecar.requests],
			[("PUT", "/v1/streams/t-orders"), ("DELETE", "/v1/streams/t-orders"), ("DELETE", "/v1/streams/t-orders")],
		)

	def test_sidecar_down_is_retried_by_the_minutely_job(self):
		configure_sidecar("http://127.0.0.1:9")  # nothing listens
		stream = make_stream()
		run_pushes()
		self.assertEqual(frappe.db.get_value(STREAM, stream.name, "sidecar_synced"), 0)
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			outbox.repush_unacked()
		self.assertIn(("PUT", "/v1/streams/t-orders"), [(r["method"], r["path"]) for r in sidecar.requests])
		self.assertEqual(frappe.db.get_value(STREAM, stream.name, "sidecar_synced"), 1)

	def test_consumers_from_the_sidecar_and_graceful_without(self):
		stream = make_stream()
		client = {"transport": "sse", "connected_at": "2026-11-30T10:00:00Z", "last_event_id": "1-0", "lag": 3, "ip": "x"}
		answers = {"with": (200, {"stats": {"clients": [client]}}), "without": (200, {"token_hashes": []}), "missing": (404, {"error": {"code": "stream_not_found", "message": "x"}})}
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			for case, answer in answers.items():
				sidecar.respond = lambda method, path, body, answer=answer: answer
				result = api.consumers(stream=stream.name)
				with self.subTest(case):
					if case == "with":
						self.assertEqual(result, {"available": True, "clients": [{k: client[k] for k in ("transport", "connected_at", "last_event_id", "lag")}]})
					else:
						self.assertFalse(result["available"])
						self.assertTrue(result["reason"])
			self.assertEqual({r["path"] for r in sidecar.requests}, {"/v1/streams/t-orders"})
		configure_sidecar("http://127.0.0.1:9")
		self.assertFalse(api.consumers(stream=stream.name)["available"])

	def test_tail_shows_the_streams_latest_events(self):
		stream = make_stream()
		todos = [make_todo(f"tail {i}") for i in range(3)]
		flush()
		tail = api.tail(stream=stream.name, limit=2)
		self.assertEqual([t["payload"]["description"] for t in tail], ["tail 2", "tail 1"])
		self.assertEqual({t["reference_name"] for t in api.tail(stream=stream.name)}, {t.name for t in todos})
		self.assertTrue(tail[0]["created_at"].endswith("Z"))


class TestPermissions(StreamsTestCase):
	def setUp(self):
		super().setUp()
		self.assertEqual(user_roles(IM_USER), {"Integration Manager"})
		self.assertTrue(user_roles(PLAIN_USER).isdisjoint({"System Manager", "Integration Manager"}))
		add_permission(READABLE, "Integration Manager", 0, "read")
		self.sidecar = FakeSidecar()
		self.sidecar.__enter__()
		self.addCleanup(self.sidecar.__exit__, None, None, None)
		configure_sidecar(self.sidecar.url)

	def test_an_integration_manager_manages_streams_and_tokens(self):
		frappe.set_user(IM_USER)
		stream = make_stream("im-stream", sources=[(READABLE, "after_insert")])
		created = api.create_token(stream=stream.name, label="im token")
		self.assertEqual(created["created_by"], IM_USER)
		self.assertEqual([t["label"] for t in api.list_tokens(stream=stream.name)], ["im token"])
		[listed] = [s for s in api.list_streams() if s["name"] == "im-stream"]
		self.assertEqual((listed["title"], listed["live_tokens"]), ("Test stream", 1))
		self.assertEqual(api.tail(stream=stream.name), [])
		self.assertIn("available", api.consumers(stream=stream.name))
		self.assertEqual(api.revoke_token(token=created["name"])["revoked"], 1)
		stream.title = "renamed"
		stream.save()
		frappe.delete_doc(STREAM, stream.name)

	def test_an_integration_manager_never_reads_a_hash(self):
		stream = make_stream("hashes", sources=[(READABLE, "after_insert")])
		created = api.create_token(stream=stream.name, label="secret-ish")
		digest = frappe.db.get_value(TOKEN, created["name"], "token_hash")
		frappe.set_user(IM_USER)
		answers = {
			"get": frappe.client.get(TOKEN, created["name"]),
			"get_list": frappe.client.get_list(TOKEN, fields=["*"], filters={"stream": stream.name}),
			"get_list token_hash": frappe.get_list(TOKEN, fields=["name", "token_hash"]),
			"list_tokens": api.list_tokens(stream=stream.name),
		}
		for label, answer in answers.items():
			with self.subTest(label):
				self.assertNotIn(digest, json.dumps(answer, default=str))
		self.assertIsNone(answers["get"].get("token_hash"), "Frappe blanks a field above the user's level")

	def test_an_integration_manager_cannot_write_a_token_directly(self):
		stream = make_stream("direct", sources=[(READABLE, "after_insert")])
		created = api.create_token(stream=stream.name, label="x")
		frappe.set_user(IM_USER)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc({"doctype": TOKEN, "stream": stream.name, "label": "forged", "token_hash": "0" * 64}).insert()
		doc = frappe.get_doc(TOKEN, created["name"])
		doc.revoked = 1
		with self.assertRaises(frappe.PermissionError):
			doc.save()

	def test_a_user_without_the_role_is_refused(self):
		stream = make_stream("locked", sources=[(READABLE, "after_insert")])
		created = api.create_token(stream=stream.name, label="x")
		calls = {
			"list_streams": api.list_streams,
			"list_tokens": lambda: api.list_tokens(stream=stream.name),
			"create_token": lambda: api.create_token(stream=stream.name, label="y"),
			"revoke_token": lambda: api.revoke_token(token=created["name"]),
			"tail": lambda: api.tail(stream=stream.name),
			"consumers": lambda: api.consumers(stream=stream.name),
			"create stream": lambda: make_stream("mine", sources=[(READABLE, "after_insert")]),
		}
		for user in (PLAIN_USER, "Guest"):
			frappe.set_user(user)
			for label, call in calls.items():
				with self.subTest(user=user, call=label), self.assertRaises(frappe.PermissionError):
					call()
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value(TOKEN, created["name"], "revoked"), 0)
		self.assertEqual(frappe.db.count(TOKEN, {"stream": stream.name}), 1)

	def test_a_doctype_the_manager_cannot_read_is_refused(self):
		frappe.set_user(IM_USER)
		with self.assertRaises(frappe.PermissionError):
			make_stream("no-read", sources=[("Blog Post", "after_insert")])
