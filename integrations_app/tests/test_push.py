"""The after-commit hand-off: one XADD onto the site's redis_queue, nothing waited on, nothing lost."""

import json
import re
import secrets
from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, now_datetime

from integrations_app.api import sidecar as sidecar_api
from integrations_app.outbound import outbox
from integrations_app.sidecar import handoff
from integrations_app.sidecar.client import SidecarClient, SidecarUnavailable, reset_shared_session
from integrations_app.tests.helpers import (
	DELIVERY,
	IM_USER,
	FakeSidecar,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
	deliveries_for,
	flush,
	make_sidecar_user,
	make_todo,
	make_webhook,
	take_after_commit,
)

DELIVERY_TABLE = re.compile(r"`tabIntegration Webhook Delivery`", re.I)


@contextmanager
def recorded_sql():
	"""Every statement run through frappe.db.sql, as text; commits do not happen (the test's
	rollback must still undo everything)."""
	statements: list[str] = []
	original = frappe.db.sql

	def sql(query, *args, **kwargs):
		statements.append(str(query))
		return original(query, *args, **kwargs)

	with patch.object(frappe.db, "sql", sql), patch.object(frappe.db, "commit", lambda: None):
		yield statements


def delivery_statements(statements: list[str], verb: str) -> list[str]:
	return [q for q in statements if q.lstrip().lower().startswith(verb) and DELIVERY_TABLE.search(q)]


@contextmanager
def private_stream():
	"""The real redis_queue, under a stream name of this test's own (a running sidecar reads the
	site's real one); deleted afterwards."""
	key = f"integrations_app:test-{secrets.token_hex(4)}:outbox"
	with patch.object(handoff, "stream_key", lambda site=None: key):
		try:
			yield key
		finally:
			handoff._connection().delete(key)


def stream_messages(key: str) -> list[list[dict]]:
	return [json.loads(fields[b"m"]) for _, fields in handoff._connection().xrange(key)]


class TestHandOff(IntegrationsTestCase):
	def test_rows_are_handed_off_from_memory_in_one_entry_without_touching_the_database(self):
		webhook = make_webhook(events=["after_insert"])
		todos = [make_todo(f"hand-off {i}") for i in range(3)]
		flush()  # what commit does first: writes the rows and schedules the hand-off
		[hand_off] = take_after_commit(handoff._after_commit)
		names = [deliveries_for(t)[0].name for t in todos]
		with private_stream() as key, recorded_sql() as statements:
			hand_off()  # what commit does last
			entries = stream_messages(key)

		self.assertEqual(statements, [], "no query: the rows are not read back nor marked here")
		[messages] = entries
		self.assertEqual([m["id"] for m in messages], names)
		self.assertEqual({m["endpoint_id"] for m in messages}, {webhook.name})
		self.assertEqual({m["event_type"] for m in messages}, {"todo.created"})
		self.assertEqual(messages[0]["payload"]["description"], "hand-off 0")
		self.assertTrue(messages[0]["timestamp"].endswith("Z"))
		self.assertEqual({frappe.db.get_value(DELIVERY, n, "acked") for n in names}, {0}, "acked only when the sidecar says so")

	def test_large_batches_are_split_at_the_sidecars_limit(self):
		rows = [
			{"name": f"msg_{i:04d}", "webhook": "w", "event_type": "todo.created", "payload": "{}", "creation": "2025-01-15 09:00:00"}
			for i in range(5)
		]
		with private_stream() as key:
			handoff.hand_off(rows, max_rows=2)
			entries = stream_messages(key)
		self.assertEqual([len(e) for e in entries], [2, 2, 1])

	def test_payload_json_is_embedded_as_it_is(self):
		payload = '{"a":[1,2,{"b":"é \\" x"}],"n":null}'
		row = {"name": "msg_1", "webhook": 'we"ird', "event_type": "todo.created", "payload": payload, "creation": "2025-01-15 09:00:00"}
		encoded = handoff.encode([row])
		self.assertIn(payload, encoded)
		[message] = json.loads(encoded)
		self.assertEqual(message["payload"], json.loads(payload))
		self.assertEqual(message["endpoint_id"], 'we"ird')

	def test_rollback_drops_the_hand_off(self):
		make_webhook(events=["after_insert"])
		make_todo()
		flush()
		frappe.db.rollback()
		self.assertEqual(take_after_commit(handoff._after_commit), [])

	def test_redis_down_does_not_raise_and_the_minutely_job_pushes_again(self):
		webhook = make_webhook(events=["after_insert"])
		frappe.db.set_value("Integration Webhook", webhook.name, "sidecar_synced", 1)
		todo = make_todo("redis down")
		flush()
		[hand_off] = take_after_commit(handoff._after_commit)
		with patch.dict(frappe.local.conf, {"redis_queue": "redis://127.0.0.1:9"}), recorded_sql() as statements:
			hand_off()  # must not raise into the user's request
		self.assertEqual(statements, [], "nothing written (no Error Log per save while Redis is down)")
		row = deliveries_for(todo)[0]
		self.assertEqual((row.status, row.acked), ("Queued", 0))

		frappe.db.set_value(DELIVERY, row.name, "creation", add_to_date(now_datetime(), minutes=-2), update_modified=False)
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			with recorded_sql():
				outbox.repush_unacked()
		pushed = [m["id"] for r in sidecar.requests if r["path"] == "/v1/messages" for m in r["body"]["messages"]]
		self.assertIn(row.name, pushed)
		self.assertEqual(frappe.db.get_value(DELIVERY, row.name, "acked"), 1)

	def test_one_insert_statement_for_the_batch(self):
		make_webhook(events=["after_insert", "on_update"])
		make_webhook(events=["after_insert", "on_update"], title="second")
		todo = make_todo("batch")
		todo.description = "batch, saved"
		todo.save()
		with recorded_sql() as statements:
			flush()
		self.assertEqual(len(delivery_statements(statements, "insert")), 1)
		rows = deliveries_for(todo)
		self.assertEqual(sorted(r.event_type for r in rows), ["todo.created", "todo.created", "todo.updated", "todo.updated"])
		self.assertEqual(json.loads(rows[-1].payload)["description"], "batch, saved")


acknowledge = as_sidecar(sidecar_api.acknowledge_messages)


class TestAcknowledge(IntegrationsTestCase):
	def rows(self, n: int) -> tuple:
		webhook = make_webhook(events=["after_insert"])
		frappe.db.set_value("Integration Webhook", webhook.name, "sidecar_synced", 1)
		todos = [make_todo(f"ack {i}") for i in range(n)]
		flush()
		return webhook, [deliveries_for(t)[0].name for t in todos]

	def test_accepted_rows_are_acked_once_per_call_and_repeats_are_harmless(self):
		_, names = self.rows(3)
		with recorded_sql() as statements:
			acknowledge(accepted=names[:2])
		self.assertEqual(len(delivery_statements(statements, "update")), 1)
		acknowledge(accepted=[names[0], "msg_gone_long_ago"])
		got = {r.name: r for r in frappe.get_all(DELIVERY, filters={"name": ("in", names)}, fields=["name", "acked", "push_attempts", "pushed_at", "status"])}
		self.assertEqual([got[n].acked for n in names], [1, 1, 0])
		self.assertEqual([got[n].status for n in names], ["Queued"] * 3, "acknowledging never moves a status")
		self.assertTrue(got[names[0]].pushed_at)

	def test_rejections_are_handled_like_a_posts(self):
		webhook, names = self.rows(2)
		acknowledge(
			accepted=[],
			rejected=[
				{"id": names[0], "code": "endpoint_not_found", "message": "unknown endpoint"},
				{"id": names[1], "code": "payload_too_large", "message": "too large"},
			],
		)
		first = frappe.db.get_value(DELIVERY, names[0], ["status", "acked"], as_dict=True)
		self.assertEqual((first.status, first.acked), ("Queued", 0), "left for the minutely re-push after a re-sync")
		self.assertEqual(frappe.db.get_value("Integration Webhook", webhook.name, "sidecar_synced"), 0)
		second = frappe.db.get_value(DELIVERY, names[1], ["status", "last_error"], as_dict=True)
		self.assertEqual(second.status, "Failed")
		self.assertIn("payload_too_large", second.last_error)

	def test_only_the_sidecar_api_user_may_acknowledge(self):
		_, names = self.rows(1)
		make_sidecar_user()  # the sidecar user is configured: a manager is still refused
		frappe.set_user(IM_USER)
		try:
			with self.assertRaises(frappe.PermissionError):
				sidecar_api.acknowledge_messages(accepted=names)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value(DELIVERY, names[0], "acked"), 0)

	def test_malformed_input_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			acknowledge(accepted=[1, 2])
		with self.assertRaises(frappe.ValidationError):
			acknowledge(accepted=[], rejected=[{"code": "x"}])


class TestHttpPush(IntegrationsTestCase):
	"""The HTTP path the minutely job and replay use."""

	def setUp(self):
		reset_shared_session()

	def test_one_update_when_only_some_are_acknowledged(self):
		def respond(method, path, body):
			if path == "/v1/messages":
				first, second = (m["id"] for m in body["messages"])
				return 202, {"accepted": [first], "duplicates": [], "rejected": []}  # second: no answer
			return FakeSidecar.default_respond(method, path, body)

		with FakeSidecar() as sidecar:
			sidecar.respond = respond
			configure_sidecar(sidecar.url)
			make_webhook(events=["after_insert"])
			first, second = make_todo("a"), make_todo("b")
			flush()
			names = [deliveries_for(first)[0].name, deliveries_for(second)[0].name]
			with recorded_sql() as statements:
				outbox.push_deliveries(names, client=SidecarClient.from_settings())

		self.assertEqual(len(delivery_statements(statements, "update")), 1)
		self.assertEqual(deliveries_for(first)[0].acked, 1)
		self.assertEqual(deliveries_for(second)[0].acked, 0, "left for the minutely re-push")
		self.assertEqual(frappe.db.get_value(DELIVERY, deliveries_for(second)[0].name, "push_attempts"), 1)

	def test_replay_push_after_commit_does_not_raise_when_the_sidecar_errs(self):
		with FakeSidecar() as sidecar:
			sidecar.respond = lambda method, path, body: (500, {"error": {"code": "internal", "message": "boom"}})
			configure_sidecar(sidecar.url)
			make_webhook(events=["after_insert"])
			todo = make_todo()
			flush()
			outbox.schedule_push([deliveries_for(todo)[0].name])
			[push] = take_after_commit(outbox._push_after_commit)
			with recorded_sql():
				push()
		self.assertEqual(deliveries_for(todo)[0].acked, 0)


class TestSharedSession(IntegrationsTestCase):
	def setUp(self):
		reset_shared_session()

	def test_clients_share_one_kept_alive_connection(self):
		with FakeSidecar(keep_alive=True) as sidecar:
			configure_sidecar(sidecar.url)
			for _ in range(3):
				SidecarClient.from_settings().health()
			ports = {r["client_port"] for r in sidecar.requests}
		self.assertEqual(len(sidecar.requests), 3)
		self.assertEqual(len(ports), 1, "one TCP connection for all three calls")

	def test_a_dropped_connection_is_retried_once_for_idempotent_calls(self):
		dropped = []

		def respond(method, path, body):
			if not dropped:
				dropped.append(path)
				return FakeSidecar.DROP
			return FakeSidecar.default_respond(method, path, body)

		with FakeSidecar(keep_alive=True) as sidecar:
			sidecar.respond = respond
			configure_sidecar(sidecar.url)
			client = SidecarClient.from_settings()
			self.assertEqual(client.post_messages([])["accepted"], [])  # ids dedup: safe to send again
			dropped.clear()
			with self.assertRaises(SidecarUnavailable):
				client.replay_message("msg_x")  # a replay is not sent twice
		self.assertEqual([r["path"] for r in sidecar.requests], ["/v1/messages", "/v1/messages", "/v1/messages/msg_x/replay"])

	def test_token_change_is_seen(self):
		with FakeSidecar(keep_alive=True) as sidecar:
			configure_sidecar(sidecar.url, token="first-token")
			SidecarClient.from_settings().health()
			configure_sidecar(sidecar.url, token="second-token")
			SidecarClient.from_settings().health()
		self.assertEqual(
			[r["headers"].get("Authorization") for r in sidecar.requests], ["Bearer first-token", "Bearer second-token"]
		)
