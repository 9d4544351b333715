"""Which DocTypes have live Integration Webhooks or enabled Integration Streams, and their
trigger settings: one map, so a document event pays one lookup for both, and a DocType that
nothing watches costs a dict miss whatever the number of streams.

Read on every document event, so it is cached: `frappe.cache.get_value` keeps a site-wide
copy in Redis and a per-request copy in `frappe.local.cache`, so a request pays one Redis read
at most. Any change to an Integration Webhook invalidates it, immediately and again when its
transaction commits or rolls back, so no worker keeps a map built from uncommitted or
outdated rows; an Integration Stream does the same.

Each entry names its `target`: "webhook" (an Integration Webhook) or "stream" (an Integration
Stream). A stream watches several DocTypes, each row of its sources one (DocType, event,
condition): rows with the same DocType and condition become one entry with their events.
"""

import frappe

CACHE_KEY = "integrations_app:webhook_map"
# Paused webhooks still record deliveries: the sidecar holds them until resumed.
LIVE_STATUSES = ("Active", "Paused")


STREAM = "Integration Stream"
STREAM_SOURCE = "Integration Stream Source"


def _build() -> dict[str, list[dict]]:
	webhook_map: dict[str, list[dict]] = {}
	for doctype, entry in (*_webhook_entries(), *_stream_entries()):
		webhook_map.setdefault(doctype, []).append(entry)
	return webhook_map


def _webhook_entries() -> list[tuple[str, dict]]:
	webhooks = frappe.get_all(
		"Integration Webhook",
		filters={"status": ("in", LIVE_STATUSES)},
		fields=["name", "reference_doctype", "condition", "payload_type", "payload_fields", "payload_template"],
		order_by="creation asc",
	)
	if not webhooks:
		return []
	events = frappe.get_all(
		"Integration Webhook Event",
		filters={"parenttype": "Integration Webhook", "parent": ("in", [w.name for w in webhooks])},
		fields=["parent", "event"],
	)
	events_by_webhook: dict[str, list[str]] = {}
	for row in events:
		events_by_webhook.setdefault(row.parent, []).append(row.event)

	entries = []
	for w in webhooks:
		if not events_by_webhook.get(w.name):
			continue
		entries.append(
			(
				w.reference_doctype,
				{
					"target": "webhook",
					"name": w.name,
					"events": sorted(set(events_by_webhook[w.name])),
					"condition": (w.condition or "").strip(),
					"payload_type": w.payload_type or "Document",
					"payload_fields": w.payload_fields or "",
					"payload_template": w.payload_template or "",
				},
			)
		)
	return entries


def _stream_entries() -> list[tuple[str, dict]]:
	streams = frappe.get_all(
		STREAM, filters={"enabled": 1}, fields=["name", "payload_type", "payload_fields"], order_by="creation asc"
	)
	if not streams:
		return []
	sources = frappe.get_all(
		STREAM_SOURCE,
		filters={"parenttype": STREAM, "parent": ("in", [s.name for s in streams])},
		fields=["parent", "reference_doctype", "event", "condition"],
		order_by="idx asc",
	)
	events: dict[tuple[str, str, str], set[str]] = {}
	for row in sources:
		events.setdefault((row.parent, row.reference_doctype, (row.condition or "").strip()), set()).add(row.event)
	entries = []
	for s in streams:
		for (stream, doctype, condition), stream_events in events.items():
			if stream != s.name:
				continue
			entries.append(
				(
					doctype,
					{
						"target": "stream",
						"name": s.name,
						"events": sorted(stream_events),
						"condition": condition,
						"payload_type": s.payload_type or "Document",
						"payload_fields": s.payload_fields or "",
						"payload_template": "",
					},
				)
			)
	return entries


def get_webhook_map() -> dict[str, list[dict]]:
	"""DocType -> webhooks and streams with their trigger settings; DocTypes without one are absent."""
	return frappe.cache.get_value(CACHE_KEY, _build)


def clear_webhook_map() -> None:
	frappe.cache.delete_value(CACHE_KEY)  # also drops the per-request copy


def invalidate_webhook_map() -> None:
	"""Call from any change to an Integration Webhook (or its status) or an Integration Stream."""
	clear_webhook_map()
	frappe.db.after_commit.add(clear_webhook_map)
	frappe.db.after_rollback.add(clear_webhook_map)
