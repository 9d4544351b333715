"""Integration Stream Connector (issue 11, inbound connectors, Frappe side): its checks on save,
the configuration pushed to the sidecar after commit, the desk API, and who may do what.

Run as Administrator unless a test says otherwise; permission tests act as a user holding only
Integration Manager, and as a user with no manager role.
"""

import frappe

from integrations_app.api import streams as api
from integrations_app.sidecar import config_sync
from integrations_app.tests.helpers import IM_USER, PLAIN_USER, FakeSidecar, configure_sidecar, user_roles
from integrations_app.tests.test_connections import make_connection
from integrations_app.tests.test_inbound import make_endpoint
from integrations_app.tests.test_streams import StreamsTestCase, run_pushes

CONNECTOR = "Integration Stream Connector"


def make_connector(connector_id="t-feed", **fields):
	values = {
		"doctype": CONNECTOR,
		"title": fields.pop("title", "Test feed"),
		"connector_id": connector_id,
		"transport": "SSE",
		"source_url": "https://events.example.com/feed",
		"inbound_endpoint": fields.pop("inbound_endpoint", None) or make_endpoint("conn-feed", "stripe").name,
		**fields,
	}
	return frappe.get_doc(values).insert()


class ConnectorTestCase(StreamsTestCase):
	def setUp(self):
		super().setUp()
		self.sidecar = FakeSidecar()
		self.sidecar.__enter__()
		self.addCleanup(self.sidecar.__exit__, None, None, None)
		configure_sidecar(self.sidecar.url)

	def pushed(self, method: str, connector: str) -> list:
		return [r["body"] for r in self.sidecar.requests if r["method"] == method and r["path"] == f"/v1/stream-connectors/{connector}"]


class TestConnectorConfig(ConnectorTestCase):
	def test_save_pushes_the_config_after_commit_and_marks_it_synced(self):
		doc = make_connector(event_type_field=" type ")
		self.assertEqual(doc.event_type_field, "type")
		self.assertEqual(doc.sidecar_synced, 0)
		run_pushes()
		[body] = self.pushed("PUT", "t-feed")
		self.assertEqual(
			body,
			{
				"url": "https://events.example.com/feed",
				"transport": "sse",
				"inbound_endpoint": "conn-feed",
				"connection_id": None,
				"event_id_field": None,
				"event_type_field": "type",
				"enabled": True,
			},
		)
		self.assertEqual(frappe.db.get_value(CONNECTOR, doc.name, "sidecar_synced"), 1)

	def test_a_connection_is_sent_by_its_sidecar_id_and_a_websocket_carries_its_resume_parameter(self):
		conn = make_connection("Feed API", base_url="https://events.example.com")
		doc = make_connector(
			"t-ws",
			transport="WebSocket",
			source_url="wss://events.example.com/ws",
			event_id_field="data.id",
			resume_param="since",
			connection=conn.name,
		)
		run_pushes()
		[body] = self.pushed("PUT", doc.name)
		self.assertEqual(body["connection_id"], conn.sidecar_id)
		self.assertEqual((body["transport"], body["resume_param"], body["event_id_field"]), ("ws", "since", "data.id"))

	def test_a_sidecar_refusal_leaves_it_unsynced_for_the_minutely_retry(self):
		self.sidecar.respond = lambda method, path, body: (400, {"error": {"code": "invalid_request", "message": "no"}}) if method == "PUT" else FakeSidecar.default_respond(method, path, body)
		doc = make_connector()
		run_pushes()
		self.assertEqual(frappe.db.get_value(CONNECTOR, doc.name, "sidecar_synced"), 0)

	def test_delete_removes_it_from_the_sidecar(self):
		doc = make_connector()
		run_pushes()
		frappe.delete_doc(CONNECTOR, doc.name)
		run_pushes()
		self.assertEqual(len(self.pushed("DELETE", doc.name)), 1)

	def test_bad_settings_are_refused_on_save(self):
		cases = {
			"id": {"connector_id": "Bad/Id"},
			"scheme": {"source_url": "ftp://events.example.com"},
			"ws needs an id field": {"transport": "WebSocket", "source_url": "wss://events.example.com/ws"},
			"resume on sse": {"resume_param": "since"},
			"credentials in url": {"source_url": "https://user:pw@events.example.com/"},
			"field path": {"event_id_field": "a..b"},
			"backoff": {"min_backoff_ms": 5000, "max_backoff_ms": 2000},
		}
		endpoint = make_endpoint("conn-feed", "stripe").name
		for label, fields in cases.items():
			with self.subTest(label), self.assertRaises(frappe.ValidationError):
				make_connector(**{"connector_id": "t-bad", "inbound_endpoint": endpoint, **fields})

	def test_it_is_one_of_the_apps_own_doctypes_webhooks_cannot_watch(self):
		from integrations_app.outbound.doc_events import OWN_DOCTYPES

		self.assertIn(CONNECTOR, OWN_DOCTYPES)
		self.assertEqual(config_sync.STREAM_CONNECTOR, CONNECTOR)


class TestConnectorStatusApi(ConnectorTestCase):
	def test_status_and_history_come_from_the_sidecar(self):
		doc = make_connector()
		answer = {
			"id": doc.name,
			"status": {"state": "connected", "holder": "host-1-abc", "forwarded": 12, "duplicates": 1, "attempt": 1, "resume_id": "12"},
			"history": [{"at": "2026-12-01T00:00:00.000Z", "reason": "connection lost: other side closed", "attempt": 1, "holder": "host-1-abc"}],
		}
		self.sidecar.respond = lambda method, path, body: (200, answer) if method == "GET" else FakeSidecar.default_respond(method, path, body)
		got = api.connector_status(connector=doc.name)
		self.assertTrue(got["available"])
		self.assertEqual((got["status"]["state"], got["status"]["forwarded"]), ("connected", 12))
		self.assertNotIn("resume_id", got["status"])
		self.assertEqual(got["history"][0]["reason"], "connection lost: other side closed")

	def test_an_unknown_connector_at_the_sidecar_is_reported_not_raised(self):
		doc = make_connector()
		self.sidecar.respond = lambda method, path, body: (404, {"error": {"code": "not_found", "message": "x"}})
		self.assertEqual(api.connector_status(connector=doc.name)["available"], False)


class TestConnectorPermissions(ConnectorTestCase):
	def test_an_integration_manager_manages_connectors(self):
		self.assertEqual(user_roles(IM_USER), {"Integration Manager"})
		endpoint = make_endpoint("conn-feed", "stripe").name
		frappe.set_user(IM_USER)
		doc = make_connector("im-feed", inbound_endpoint=endpoint)
		self.assertIn("im-feed", [c["name"] for c in api.list_connectors()])
		self.assertIn("available", api.connector_status(connector=doc.name))
		doc.title = "renamed"
		doc.save()
		frappe.delete_doc(CONNECTOR, doc.name)

	def test_a_user_without_the_role_cannot_read_or_create_one(self):
		doc = make_connector()
		frappe.set_user(PLAIN_USER)
		with self.assertRaises(frappe.PermissionError):
			api.connector_status(connector=doc.name)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(CONNECTOR, doc.name).check_permission("read")
		with self.assertRaises(frappe.PermissionError):
			api.list_connectors()
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{"doctype": CONNECTOR, "title": "x", "connector_id": "plain", "transport": "SSE", "source_url": "https://e.example.com", "inbound_endpoint": doc.inbound_endpoint}
			).insert()
