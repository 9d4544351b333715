"""Which DocTypes have live Integration Webhooks, and their trigger settings.

Read on every document event, so it is cached: `frappe.cache.get_value` keeps a site-wide
copy in Redis and a per-request copy in `frappe.local.cache`, so a request pays one Redis read
at most. Any change to an Integration Webhook invalidates it, immediately and again when its
transaction commits or rolls back, so no worker keeps a map built from uncommitted or
outdated rows.
"""

import frappe

CACHE_KEY = "integrations_app:webhook_map"
# Paused webhooks still record deliveries: the sidecar holds them until resumed.
LIVE_STATUSES = ("Active", "Paused")


def _build() -> dict[str, list[dict]]:
	webhooks = frappe.get_all(
		"Integration Webhook",
		filters={"status": ("in", LIVE_STATUSES)},
		fields=["name", "reference_doctype", "condition", "payload_type", "payload_fields", "payload_template"],
		order_by="creation asc",
	)
	if not webhooks:
		return {}
	events = frappe.get_all(
		"Integration Webhook Event",
		filters={"parenttype": "Integration Webhook", "parent": ("in", [w.name for w in webhooks])},
		fields=["parent", "event"],
	)
	events_by_webhook: dict[str, list[str]] = {}
	for row in events:
		events_by_webhook.setdefault(row.parent, []).append(row.event)

	webhook_map: dict[str, list[dict]] = {}
	for w in webhooks:
		if not events_by_webhook.get(w.name):
			continue
		webhook_map.setdefault(w.reference_doctype, []).append(
			{
				"name": w.name,
				"events": sorted(set(events_by_webhook[w.name])),
				"condition": (w.condition or "").strip(),
				"payload_type": w.payload_type or "Document",
				"payload_fields": w.payload_fields or "",
				"payload_template": w.payload_template or "",
			}
		)
	return webhook_map


def get_webhook_map() -> dict[str, list[dict]]:
	"""DocType -> webhooks with their trigger settings; DocTypes without one are absent."""
	return frappe.cache.get_value(CACHE_KEY, _build)


def clear_webhook_map() -> None:
	frappe.cache.delete_value(CACHE_KEY)  # also drops the per-request copy


def invalidate_webhook_map() -> None:
	"""Call from any change to an Integration Webhook (or its status)."""
	clear_webhook_map()
	frappe.db.after_commit.add(clear_webhook_map)
	frappe.db.after_rollback.add(clear_webhook_map)
