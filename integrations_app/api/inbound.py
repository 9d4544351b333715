"""Desk API: inbound endpoints and events."""

import frappe

from integrations_app.inbound import events as handlers
from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound

INBOUND_ENDPOINT = "Integration Inbound Endpoint"
INBOUND_EVENT = "Integration Inbound Event"


@frappe.whitelist()
def endpoint_stats() -> list[dict]:
	"""[{name, provider, public_url, accepted, rejected, duplicates}].

	Counts come from the sidecar's GET /v1/inbound-endpoints/{slug} `stats` when it has them;
	otherwise `accepted` is what Frappe stored and the other two are null.
	"""
	frappe.has_permission(INBOUND_ENDPOINT, "read", throw=True)
	endpoints = frappe.get_all(INBOUND_ENDPOINT, fields=["name", "provider", "public_url"], order_by="name asc")
	stored = dict(frappe.db.sql(f"select endpoint, count(*) from `tab{INBOUND_EVENT}` group by endpoint"))
	try:
		client = SidecarClient.from_settings(connect_timeout=1.0, read_timeout=3.0)
	except SidecarError:
		client = None
	result = []
	for endpoint in endpoints:
		stats = {}
		if client:
			try:
				stats = (client.get_inbound_endpoint(endpoint.name) or {}).get("stats") or {}
			except SidecarNotFound:
				pass
			except SidecarError:
				client = None  # one failure is enough: don't wait on every row
		result.append(
			{
				"name": endpoint.name,
				"provider": endpoint.provider,
				"public_url": endpoint.public_url,
				"accepted": stats.get("accepted", stored.get(endpoint.name, 0)),
				"rejected": stats.get("rejected"),
				"duplicates": stats.get("duplicates"),
			}
		)
	return result


@frappe.whitelist(methods=["POST"])
def replay_event(event: str) -> dict:
	"""Run an event's handlers again → {ok}."""
	doc = frappe.get_doc(INBOUND_EVENT, event)
	doc.check_permission("read")
	# Events are read-only logs; re-running them is an action on the endpoint's configuration.
	frappe.get_doc(INBOUND_ENDPOINT, doc.endpoint).check_permission("write")
	handlers.replay(doc.name)
	return {"ok": True}
