"""endpoint_stats: every endpoint's counters in one sidecar call; what Frappe stored otherwise."""

import json

import frappe

from integrations_app.api import sidecar
from integrations_app.api.inbound import endpoint_stats
from integrations_app.tests.helpers import (
	FakeSidecar,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
)

SLUGS = ("stats-a", "stats-b", "stats-c")
receive_inbound_events = as_sidecar(sidecar.receive_inbound_events)


def event(sidecar_id: str, slug: str) -> dict:
	return {
		"sidecar_id": sidecar_id,
		"slug": slug,
		"provider": "github",
		"provider_event_id": sidecar_id,
		"event_type": "push",
		"received_at": "2024-05-01T10:00:00.000Z",
		"payload": json.dumps({}),
		"headers": {},
	}


class TestEndpointStats(IntegrationsTestCase):
	def setUp(self):
		self.sidecar = FakeSidecar().__enter__()
		self.addCleanup(self.sidecar.__exit__, None, None, None)
		configure_sidecar(self.sidecar.url)
		for slug in SLUGS:
			frappe.get_doc({"doctype": "Integration Inbound Endpoint", "slug": slug, "provider": "github", "secret": "s"}).insert(
				ignore_permissions=True
			)
		receive_inbound_events(events=[event("e1", "stats-a"), event("e2", "stats-c"), event("e3", "stats-c")])
		self.sidecar.requests.clear()

	def ours(self) -> dict:
		return {row["name"]: row for row in endpoint_stats() if row["name"] in SLUGS}

	def test_one_sidecar_call_for_all_endpoints(self):
		def respond(method, path, body):
			if (method, path) == ("POST", "/v1/inbound-endpoints/lookup"):
				found = {
					"stats-a": {"slug": "stats-a", "stats": {"accepted": 7, "rejected": 1, "duplicates": 2}},
					"stats-b": {"slug": "stats-b", "stats": {"accepted": 0, "rejected": 0, "duplicates": 0}},
				}
				return 200, {"found": {s: v for s, v in found.items() if s in body["slugs"]}, "missing": [s for s in body["slugs"] if s not in found]}
			return 404, {"error": {"code": "not_found", "message": "no"}}

		self.sidecar.respond = respond
		rows = self.ours()
		self.assertEqual([r["method"] + " " + r["path"] for r in self.sidecar.requests], ["POST /v1/inbound-endpoints/lookup"])
		self.assertTrue(set(SLUGS) <= set(self.sidecar.requests[0]["body"]["slugs"]))
		self.assertEqual(
			{s: (r["accepted"], r["rejected"], r["duplicates"]) for s, r in rows.items()},
			# stats-c: the sidecar has none (not synced yet): what Frappe stored
			{"stats-a": (7, 1, 2), "stats-b": (0, 0, 0), "stats-c": (2, None, None)},
		)

	def test_sidecar_down_shows_what_frappe_stored(self):
		self.sidecar.respond = lambda method, path, body: FakeSidecar.DROP
		rows = self.ours()
		self.assertEqual(
			{s: (r["accepted"], r["rejected"], r["duplicates"]) for s, r in rows.items()},
			{"stats-a": (1, None, None), "stats-b": (0, None, None), "stats-c": (2, None, None)},
		)
