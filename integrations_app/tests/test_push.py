"""The after-commit push: cheap inside the user's request, and still nothing lost."""

import re
from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, now_datetime

from integrations_app.outbound import outbox
from integrations_app.sidecar.client import SidecarClient, SidecarUnavailable, reset_shared_session
from integrations_app.tests.helpers import (
	DELIVERY,
	FakeSidecar,
	IntegrationsTestCase,
	configure_sidecar,
	deliveries_for,
	flush,
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


class TestAfterCommitPush(IntegrationsTestCase):
	def setUp(self):
		reset_shared_session()

	def test_rows_are_pushed_from_memory_with_one_update(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			webhook = make_webhook(events=["after_insert"])
			todos = [make_todo(f"push {i}") for i in range(3)]
			flush()  # what commit does first: writes the rows and schedules the push
			[push] = take_after_commit(outbox._push_after_commit)
			names = [deliveries_for(t)[0].name for t in todos]
			with recorded_sql() as statements:
				push()  # what commit does last

		self.assertEqual(delivery_statements(statements, "select"), [], "the rows are not read back")
		updates = delivery_statements(statements, "update")
		self.assertEqual(len(updates), 1, f"one UPDATE marks the rows pushed and acked: {updates}")
		[post] = [r for r in sidecar.requests if r["path"] == "/v1/messages"]
		messages = post["body"]["messages"]
		self.assertEqual([m["id"] for m in messages], names)
		self.assertEqual({m["endpoint_id"] for m in messages}, {webhook.name})
		self.assertEqual(messages[0]["payload"]["description"], "push 0")
		self.assertTrue(messages[0]["timestamp"].endswith("Z"))
		rows = frappe.get_all(DELIVERY, filters={"name": ("in", names)}, fields=["acked", "push_attempts", "pushed_at"])
		self.assertEqual({(r.acked, r.push_attempts) for r in rows}, {(1, 1)})
		self.assertTrue(all(r.pushed_at for r in rows))

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
			[push] = take_after_commit(outbox._push_after_commit)
			with recorded_sql() as statements:
				push()

		self.assertEqual(len(delivery_statements(statements, "update")), 1)
		self.assertEqual(deliveries_for(first)[0].acked, 1)
		self.assertEqual(deliveries_for(second)[0].acked, 0, "left for the minutely re-push")
		self.assertEqual(frappe.db.get_value(DELIVERY, deliveries_for(second)[0].name, "push_attempts"), 1)

	def test_rollback_drops_the_push(self):
		make_webhook(events=["after_insert"])
		make_todo()
		flush()
		frappe.db.rollback()
		self.assertEqual(take_after_commit(outbox._push_after_commit), [])

	def test_failed_push_does_not_raise_and_the_minutely_job_pushes_again(self):
		configure_sidecar("http://127.0.0.1:9")  # nothing listens
		webhook = make_webhook(events=["after_insert"])
		frappe.db.set_value("Integration Webhook", webhook.name, "sidecar_synced", 1)
		todo = make_todo("sidecar down")
		flush()
		[push] = take_after_commit(outbox._push_after_commit)
		with recorded_sql():
			push()  # must not raise into the user's request
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

	def test_sidecar_error_answer_does_not_raise(self):
		with FakeSidecar() as sidecar:
			sidecar.respond = lambda method, path, body: (500, {"error": {"code": "internal", "message": "boom"}})
			configure_sidecar(sidecar.url)
			make_webhook(events=["after_insert"])
			todo = make_todo()
			flush()
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
