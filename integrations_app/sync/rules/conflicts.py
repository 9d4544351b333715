"""The conflict queue: a side-by-side view of a Sync Log row in Conflict, and the checks a
resolution passes before it goes to the sidecar (docs/sync.md §4, "Manual conflicts").
Frappe-free."""

import json

TAKES = ("local", "remote", "merge")


class ConflictError(ValueError):
	pass


def parse_conflict(text: str | None) -> dict:
	try:
		conflict = json.loads(text or "null")
	except ValueError:
		conflict = None
	if not isinstance(conflict, dict):
		return {"fields": [], "local": {}, "remote": {}, "base": None, "detected_at": None}
	return {
		"fields": [f for f in conflict.get("fields") or [] if isinstance(f, str)],
		"local": conflict.get("local") if isinstance(conflict.get("local"), dict) else {},
		"remote": conflict.get("remote") if isinstance(conflict.get("remote"), dict) else {},
		"base": conflict.get("base") if isinstance(conflict.get("base"), dict) else None,
		"detected_at": conflict.get("detected_at"),
	}


def side_by_side(conflict: dict, field_map: list[dict]) -> list[dict]:
	"""One row per mapped field that either side holds: {field, remote_field, base, local,
	remote, conflict (changed on both sides), changed_local, changed_remote}. Conflicting fields
	first, then the map's order."""
	base = conflict["base"] or {}
	remote_names = {row["local_field"]: row["remote_field"] for row in field_map}
	order = [row["local_field"] for row in field_map]
	order += [f for f in {**conflict["local"], **conflict["remote"]} if f not in remote_names]
	rows = []
	for name in order:
		if name not in conflict["local"] and name not in conflict["remote"]:
			continue
		local, remote = conflict["local"].get(name), conflict["remote"].get(name)
		known = conflict["base"] is not None and name in base
		rows.append(
			{
				"field": name,
				"remote_field": remote_names.get(name, name),
				"base": base.get(name),
				"local": local,
				"remote": remote,
				"conflict": name in conflict["fields"],
				"changed_local": not known or local != base.get(name),
				"changed_remote": not known or remote != base.get(name),
			}
		)
	rows.sort(key=lambda r: not r["conflict"])  # stable: map order within each group
	return rows


def check_resolution(conflict: dict, take: str, values) -> dict | None:
	"""The `values` to send for a merge (every field in conflict given, no field the record
	does not hold), None for take local/remote."""
	if take not in TAKES:
		raise ConflictError(f"take must be one of {', '.join(TAKES)}")
	if take != "merge":
		if values:
			raise ConflictError("values are only for a merge")
		return None
	if isinstance(values, str):
		try:
			values = json.loads(values)
		except ValueError:
			raise ConflictError("values must be a JSON object") from None
	if not isinstance(values, dict) or not values:
		raise ConflictError("a merge sends values: {local field: value}")
	known = set(conflict["local"]) | set(conflict["remote"])
	unknown = sorted(set(values) - known)
	if unknown:
		raise ConflictError(f"not fields of this record: {', '.join(unknown)}")
	missing = sorted(set(conflict["fields"]) - set(values))
	if missing:
		raise ConflictError(f"a merge gives a value to every field in conflict; missing: {', '.join(missing)}")
	for name, value in values.items():
		if not (value is None or isinstance(value, (str, int, float, bool))):
			raise ConflictError(f"{name}: a plain value (text, number, true/false or null)")
	return values
