"""Desk API: inbound endpoints and events."""

import frappe

from integrations_app.inbound import events as handlers
from integrations_app.sidecar.client import SidecarClient, SidecarError

INBOUND_ENDPOINT = "Integration Inbound Endpoint"
INBOUND_EVENT = "Integration Inbound Event"
MAX_LOOKUP = 1000  # the sidecar's limit per lookup


@frappe.whitelist()
def endpoint_stats() -> list[dict]:
	"""[{name, provider, public_url, accepted, rejected, duplicates}].

	Counts come from the sidecar's stats, all endpoints in one call (POST
	/v1/inbound-endpoints/lookup). For an endpoint the sidecar has no stats for (down, or not
	synced yet) `accepted` is what Frappe stored, counted on that endpoint's index range, and the
	other two are null.
	"""
	frappe.has_permission(INBOUND_ENDPOINT, "read", throw=True)
	endpoints = frappe.get_all(INBOUND_ENDPOINT, fields=["name", "provider", "public_url"], order_by="name asc")
	found = _sidecar_views([e.name for e in endpoints])
	result = []
	for endpoint in endpoints:
		stats = (found.get(endpoint.name) or {}).get("stats")
		if stats is None:
			stats = {"accepted": _stored_count(endpoint.name), "rejected": None, "duplicates": None}
		result.append(
			{
				"name": endpoint.name,
				"provider": endpoint.provider,
				"public_url": endpoint.public_url,
				"accepted": stats.get("accepted"),
				"rejected": stats.get("rejected"),
				"duplicates": stats.get("duplicates"),
			}
		)
	return result


def _sidecar_views(slugs: list[str]) -> dict:
	if not slugs:
		return {}
	try:
		client = SidecarClient.from_settings(connect_timeout=1.0, read_timeout=3.0)
		found = {}
		for start in range(0, len(slugs), MAX_LOOKUP):
			found.update(client.lookup_inbound_endpoints(slugs[start : start + MAX_LOOKUP]).get("found") or {})
		return found
	except SidecarError:
		return {}  # the page still shows what Frappe stored


def _stored_count(endpoint: str) -> int:
	# the unique (endpoint, provider_event_id) index: a range over this endpoint's entries only
	return frappe.db.sql(f"select count(*) from `tab{INBOUND_EVENT}` where endpoint = %s", (endpoint,))[0][0]


@frappe.whitelist(methods=["POST"])
def replay_event(event: str) -> dict:
	"""Run an event's handlers again → {ok}."""
	doc = frappe.get_doc(INBOUND_EVENT, event)
	doc.check_permission("read")
	# Events are read-only logs; re-running them is an action on the endpoint's configuration.
	frappe.get_doc(INBOUND_ENDPOINT, doc.endpoint).check_permission("write")
	handlers.replay(doc.name)
	return {"ok": True}
