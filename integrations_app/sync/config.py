"""An Integration Sync Profile as the sidecar's engine takes it (PUT /v1/sync/profiles/{name}).
The rules live in `rules/profile.py`; this module reads the documents they need."""

import json

import frappe

from integrations_app.connections.config import CONNECTION
from integrations_app.sync.rules import profile as rules

PROFILE = "Integration Sync Profile"
FIELD_MAP = "Integration Sync Field Map"
LOG = "Integration Sync Log"
RUN = "Integration Sync Run"
PROFILE_MAP_KEY = "integrations_app:sync_profile_map"
# Layout and table fields hold no data a sync could copy.
NO_VALUE_TYPES = ("Section Break", "Column Break", "Tab Break", "HTML", "Button", "Fold", "Heading", "Table", "Table MultiSelect")
STANDARD_FIELDS = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")


def local_fieldnames(doctype: str) -> set[str]:
	meta = frappe.get_meta(doctype)
	return {df.fieldname for df in meta.fields if df.fieldtype not in NO_VALUE_TYPES} | set(STANDARD_FIELDS)


def profile_values(doc) -> tuple[dict, list[dict]]:
	return doc.as_dict(), [row.as_dict() for row in doc.get("field_map") or []]


def connection_id(connection: str) -> str:
	sidecar_id = frappe.db.get_value(CONNECTION, connection, "sidecar_id")
	if not sidecar_id:
		raise rules.ProfileError(f"Connection {connection} is not known to the sidecar yet: save it first")
	return sidecar_id


def profile_config(doc) -> dict:
	"""§1 JSON of a profile document (ProfileError when the profile no longer holds up, e.g. its
	connection was deleted)."""
	values, rows = profile_values(doc)
	return rules.build_config(
		values,
		rows,
		connection_id=connection_id(doc.connection),
		local_fields=local_fieldnames(doc.local_doctype),
		link_ids={row["link_profile"]: row["link_profile"] for row in rows if row.get("link_profile")},
	)


def _json_or_none(text: str | None):
	try:
		return json.loads(text) if text else None
	except ValueError:
		return None


def profile_state(doc) -> dict:
	return {
		"local_cursor": _json_or_none(doc.local_cursor),
		"remote_cursor": doc.remote_cursor or None,
		"deleted_cursor": _json_or_none(doc.deleted_cursor),
	}


def push_profile(name: str, client) -> None:
	"""PUT an enabled profile, DELETE a disabled one (its runs stop at the next page)."""
	doc = frappe.get_doc(PROFILE, name)
	if doc.enabled:
		client.put_sync_profile(name, profile_config(doc))
	else:
		from integrations_app.sidecar.client import SidecarNotFound

		try:
			client.delete_sync_profile(name)
		except SidecarNotFound:
			pass


# --- which DocTypes real-time profiles watch (read on every document event, so cached)


def _build_profile_map() -> dict[str, list[dict]]:
	profiles = frappe.get_all(
		PROFILE,
		filters={"enabled": 1, "mode": "Real-time", "direction": ("in", ("Push", "Both"))},
		fields=["name", "local_doctype", "push_deletes"],
		order_by="creation asc",
	)
	profile_map: dict[str, list[dict]] = {}
	for p in profiles:
		profile_map.setdefault(p.local_doctype, []).append({"name": p.name, "push_deletes": bool(p.push_deletes)})
	return profile_map


def get_profile_map() -> dict[str, list[dict]]:
	"""DocType → real-time push profiles [{name, push_deletes}]; DocTypes without one are absent."""
	return frappe.cache.get_value(PROFILE_MAP_KEY, _build_profile_map)


def clear_profile_map() -> None:
	frappe.cache.delete_value(PROFILE_MAP_KEY)


def invalidate_profile_map() -> None:
	clear_profile_map()
	frappe.db.after_commit.add(clear_profile_map)
	frappe.db.after_rollback.add(clear_profile_map)
