"""What IntegrationsTestCase keeps away from the site the tests run on."""

import frappe

from integrations_app.outbound.rules.naming import new_message_id
from integrations_app.sidecar import handoff
from integrations_app.sidecar.client import SidecarClient, SidecarUnavailable
from integrations_app.tests.helpers import IntegrationsTestCase, configured_sidecar


class TestSandbox(IntegrationsTestCase):
	def test_the_sites_live_sidecar_is_out_of_reach_and_reaching_for_it_is_reported(self):
		live = frappe.db.get_single_value("Integration Settings", "sidecar_url")
		self.assertTrue(live, "install sets a Sidecar URL")
		with self.assertRaises(SidecarUnavailable) as ctx:
			SidecarClient.from_settings().health()
		self.assertIn("tests may not reach the site's live sidecar", str(ctx.exception))
		self.assertEqual(self.live_sidecar_calls, ["GET /healthz"])  # tearDown fails a test that has any
		self.live_sidecar_calls.clear()

	def test_a_configured_fake_sidecar_is_reached(self):
		with configured_sidecar() as sidecar:
			SidecarClient.from_settings().health()
		self.assertEqual([(r["method"], r["path"]) for r in sidecar.requests], [("GET", "/healthz")])
		self.assertEqual(self.live_sidecar_calls, [])

	def test_the_hand_off_goes_to_a_stream_no_sidecar_reads(self):
		key, live_key = handoff.stream_key(), f"integrations_app:{frappe.local.site}:outbox"
		self.assertEqual(key, f"{live_key}:tests")
		conn, name = handoff._connection(), new_message_id()
		before = conn.xlen(key)
		row = {"name": name, "webhook": "w", "event_type": "todo.created", "payload": "{}", "creation": frappe.utils.now()}
		handoff.hand_off([row])
		self.assertEqual(conn.xlen(key), before + 1)
		self.assertIn(name.encode(), conn.xrevrange(key, count=1)[0][1][b"m"])
		self.assertFalse(any(name.encode() in fields[b"m"] for _, fields in conn.xrevrange(live_key, count=100)))
