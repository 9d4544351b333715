"""What an Integration Sync Profile becomes in the sidecar (PUT /v1/sync/profiles/{id},
docs/sync.md §1) and the checks it passes on save. Frappe-free: values in, values out; every
problem is a ProfileError whose message names the field a person has to fix."""

import json
import re

MAX_PAGE_SIZE = 1000
MAX_LOOKBACK_S = 86_400
MAX_ATTEMPTS = 20
FIELDNAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
REMOTE_FIELD_RE = re.compile(r"^[^\s.]+(\.[^\s.]+)*$")
PROFILE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,139}$")

DIRECTIONS = {"Push": "push", "Pull": "pull", "Both": "both"}
MODES = {"Real-time": "realtime", "Batch": "batch", "Scheduled": "scheduled"}
STRATEGIES = {"Local Wins": "local_wins", "Remote Wins": "remote_wins", "Latest Wins": "latest_wins", "Manual": "manual"}
SIDES = {"Local": "local", "Remote": "remote"}
RULES = {
	"Two-way": "two_way",
	"Prefer Local Unless Blank": "prefer_local_unless_blank",
	"Prefer Remote Unless Blank": "prefer_remote_unless_blank",
	"Always Local": "always_local",
	"Always Remote": "always_remote",
	"Don't Sync": "dont_sync",
}
FIELD_DIRECTIONS = {"Both": "both", "Push": "push", "Pull": "pull"}
TRANSFORMS = {"Rename": None, "Constant": "constant", "Value Map": "value_map", "Date": "date", "Number": "number", "Link": "link"}
PAGINATION = {"Page": "page", "Offset": "offset", "Cursor": "cursor", "Link Header": "link"}
DELETE_RULES = {"None": "none", "Tombstone": "tombstone", "Absence": "absence"}
FILTER_OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "like")
DATE_LOCAL_FORMATS = ("date", "datetime")
DATE_REMOTE_FORMATS = ("iso", "date", "epoch_s", "epoch_ms", "dd/mm/yyyy", "mm/dd/yyyy")
SINCE_FORMATS = ("iso", "epoch_s", "epoch_ms")

_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_NAMES = (
	{},
	{},
	{},
	{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
	{d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
)
_CRON_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")


class ProfileError(ValueError):
	pass


def check_profile_id(name: str) -> str:
	name = (name or "").strip()
	if not PROFILE_ID_RE.match(name):
		raise ProfileError("Profile Name: letters, digits, '-' or '_', starting with a letter or digit")
	return name


def check_cron(expression: str | None) -> str:
	"""Five cron fields (minute hour day month weekday): numbers, names, *, ranges, lists, steps."""
	fields = (expression or "").split()
	if len(fields) != 5:
		raise ProfileError("Cron: five fields (minute hour day-of-month month day-of-week), e.g. */15 * * * *")
	for index, field in enumerate(fields):
		if not all(_cron_part_ok(part.lower(), index) for part in field.split(",")):
			raise ProfileError(f"Cron: {field!r} is not a valid {_CRON_FIELDS[index]} field")
	return " ".join(fields)


def _cron_part_ok(part: str, index: int) -> bool:
	low, high = _CRON_RANGES[index]
	base, slash, step = part.partition("/")
	if slash and (not step.isdigit() or not 1 <= int(step) <= high):
		return False
	if base == "*":
		return True
	start, dash, end = base.partition("-")
	numbers = []
	for value in (start, end) if dash else (start,):
		number = _CRON_NAMES[index].get(value, int(value) if value.isdigit() else None)
		if number is None or not low <= number <= high:
			return False
		numbers.append(number)
	return not dash or numbers[0] <= numbers[1]


def parse_filters(text: str | None, label: str, local: bool) -> list:
	"""Filters JSON → [[field, operator, value]]. An object {"field": value} or {"field": [op,
	value]} becomes that list; Frappe's 4-item [doctype, field, op, value] loses the DocType.
	Local fields must be fieldnames; remote ones may be dotted paths."""
	if not (text or "").strip():
		return []
	try:
		value = json.loads(text)
	except ValueError as e:
		raise ProfileError(f"{label}: not JSON ({e})") from None
	if isinstance(value, dict):
		value = [
			[field, *(v if isinstance(v, list) and len(v) == 2 and v[0] in FILTER_OPERATORS else ["=", v])]
			for field, v in value.items()
		]
	if not isinstance(value, list):
		raise ProfileError(f'{label}: an object {{"field": value}} or a list [["field", "=", value]]')
	filters = []
	for item in value:
		if isinstance(item, list) and len(item) == 4:
			item = item[1:]
		if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], str)):
			raise ProfileError(f"{label}: {json.dumps(item)} is not [field, operator, value]")
		field, operator, operand = item[0], item[1].lower(), item[2]
		if operator not in FILTER_OPERATORS:
			raise ProfileError(f"{label}: unknown operator {item[1]!r} (one of {', '.join(FILTER_OPERATORS)})")
		if not (FIELDNAME_RE if local else REMOTE_FIELD_RE).match(field):
			raise ProfileError(f"{label}: {field!r} is not a field name")
		if operator in ("in", "not in") and not isinstance(operand, list):
			raise ProfileError(f"{label}: {operator} takes a list")
		if operator == "is" and operand not in ("set", "not set"):
			raise ProfileError(f'{label}: is takes "set" or "not set"')
		filters.append([field, operator, operand])
	return filters


def _options(text: str | None, label: str) -> dict:
	try:
		value = json.loads(text or "{}")
	except ValueError as e:
		raise ProfileError(f"{label}: Transform Options are not JSON ({e})") from None
	if not isinstance(value, dict):
		raise ProfileError(f"{label}: Transform Options must be a JSON object")
	return value


def _plain(value) -> bool:
	return value is None or isinstance(value, (str, int, float, bool))


def build_transform(row: dict, label: str, link_profile_id: str | None = None) -> dict | None:
	"""A field map row's transform for the sidecar: {type, ...options}, or None (rename)."""
	kind = row.get("transform_type") or "Rename"
	if kind not in TRANSFORMS:
		raise ProfileError(f"{label}: unknown transform {kind!r}")
	if kind == "Rename":
		return None
	if kind == "Link":
		if not link_profile_id:
			raise ProfileError(f"{label}: a Link transform names the profile whose Sync Log resolves it")
		return {"type": "link", "profile_id": link_profile_id}
	options = _options(row.get("transform_options"), label)
	if kind == "Constant":
		if "value" not in options or not _plain(options["value"]):
			raise ProfileError(f'{label}: a Constant needs {{"value": …}} (a plain value)')
		side = options.get("side", "remote")
		if side not in ("remote", "local") or set(options) - {"value", "side"}:
			raise ProfileError(f'{label}: a Constant takes "value" and "side" ("remote" or "local")')
		return {"type": "constant", "value": options["value"], "side": side}
	if kind == "Value Map":
		mapping = options.get("map")
		if not isinstance(mapping, dict) or not mapping or not all(_plain(v) for v in mapping.values()):
			raise ProfileError(f'{label}: a Value Map needs {{"map": {{"local value": "remote value"}}}}')
		remote_values = [json.dumps(v) for v in mapping.values()]
		if len(set(remote_values)) != len(remote_values):
			raise ProfileError(f"{label}: two local values map to one remote value, so a pull could not tell them apart")
		if set(options) - {"map", "default_local", "default_remote"}:
			raise ProfileError(f"{label}: a Value Map takes map, default_local and default_remote")
		return {"type": "value_map", **options}
	if kind == "Date":
		local_format = options.get("local_format", "date")
		remote_format = options.get("remote_format", "iso")
		if local_format not in DATE_LOCAL_FORMATS or remote_format not in DATE_REMOTE_FORMATS or set(options) - {"local_format", "remote_format"}:
			raise ProfileError(
				f"{label}: a Date takes local_format ({', '.join(DATE_LOCAL_FORMATS)}) and remote_format ({', '.join(DATE_REMOTE_FORMATS)})"
			)
		return {"type": "date", "local_format": local_format, "remote_format": remote_format}
	if set(options) - {"scale", "decimals", "as_string"}:
		raise ProfileError(f"{label}: a Number takes scale, decimals and as_string")
	scale, decimals = options.get("scale", 1), options.get("decimals")
	if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
		raise ProfileError(f"{label}: scale must be a positive number")
	if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 9):
		raise ProfileError(f"{label}: decimals must be 0-9")
	if not isinstance(options.get("as_string", False), bool):
		raise ProfileError(f"{label}: as_string is true or false")
	return {"type": "number", **options}


def build_fields(rows: list[dict], local_fields: set[str] | None, link_ids: dict[str, str]) -> list[dict]:
	"""The field map, in row order. `local_fields`: the DocType's fieldnames (None: not checked);
	`link_ids`: link profile name → its sidecar id."""
	if not rows:
		raise ProfileError("Field Map: map at least one field")
	fields, seen_local, seen_remote = [], set(), set()
	for index, row in enumerate(rows, start=1):
		label = f"Field Map row {index}"
		local, remote = (row.get("local_field") or "").strip(), (row.get("remote_field") or "").strip()
		if not FIELDNAME_RE.match(local):
			raise ProfileError(f"{label}: {local!r} is not a fieldname")
		if local_fields is not None and local not in local_fields:
			raise ProfileError(f"{label}: the local DocType has no field {local!r}")
		if not REMOTE_FIELD_RE.match(remote):
			raise ProfileError(f"{label}: {remote!r} is not a remote field (a key, or a dotted path)")
		if local in seen_local or remote in seen_remote:
			raise ProfileError(f"{label}: {local if local in seen_local else remote} is mapped twice")
		seen_local.add(local)
		seen_remote.add(remote)
		rule, direction = row.get("rule") or "Two-way", row.get("direction") or "Both"
		if rule not in RULES:
			raise ProfileError(f"{label}: unknown rule {rule!r}")
		if direction not in FIELD_DIRECTIONS:
			raise ProfileError(f"{label}: unknown direction {direction!r}")
		link = row.get("link_profile")
		fields.append(
			{
				"local_field": local,
				"remote_field": remote,
				"direction": FIELD_DIRECTIONS[direction],
				"rule": RULES[rule],
				"transform": build_transform(row, label, link_ids.get(link) if link else None),
			}
		)
	return fields


def _path(value: str | None, label: str, item: bool) -> str | None:
	value = (value or "").strip() or None
	if value is None:
		return None
	if not value.startswith("/") or "://" in value or "#" in value or ".." in value.split("?")[0].split("/"):
		raise ProfileError(f"{label}: a path relative to the connection's Base URL, starting with /")
	if item and "{id}" not in value:
		raise ProfileError(f"{label}: put {{id}} where the record's id goes")
	return value


def _text(profile: dict, field: str, default: str | None = None) -> str | None:
	return (profile.get(field) or "").strip() or default


def build_remote(profile: dict, connection_id: str) -> dict:
	if profile.get("remote_type") == "Generic REST":
		style = profile.get("pagination_style") or "Page"
		if style not in PAGINATION:
			raise ProfileError(f"Pagination: unknown style {style!r}")
		since_format = profile.get("updated_since_format") or "iso"
		if since_format not in SINCE_FORMATS:
			raise ProfileError(f"Updated-Since Format: one of {', '.join(SINCE_FORMATS)}")
		list_path = _path(profile.get("list_path"), "List Path", item=False)
		get_path = _path(profile.get("get_path"), "Get Path", item=True)
		create_path = _path(profile.get("create_path"), "Create Path", item=False)
		update_path = _path(profile.get("update_path"), "Update Path", item=True)
		if not (list_path and get_path and create_path and update_path):
			raise ProfileError("A Generic REST remote needs the List, Get, Create and Update Paths")
		return {
			"type": "rest",
			"connection_id": connection_id,
			"list_path": list_path,
			"get_path": get_path,
			"create_path": create_path,
			"update_path": update_path,
			"update_method": profile.get("update_method") if profile.get("update_method") in ("PUT", "PATCH") else "PATCH",
			"delete_path": _path(profile.get("delete_path"), "Delete Path", item=True),
			"id_field": _text(profile, "id_field", "id"),
			"updated_field": _text(profile, "updated_field"),
			"updated_since_param": _text(profile, "updated_since_param"),
			"updated_since_format": since_format,
			"items_field": _text(profile, "items_field"),
			"pagination": {
				"style": PAGINATION[style],
				"page_param": _text(profile, "page_param", "page"),
				"offset_param": _text(profile, "offset_param", "offset"),
				"limit_param": _text(profile, "limit_param", "limit"),
				"cursor_param": _text(profile, "cursor_param", "cursor"),
				"next_cursor_field": _text(profile, "next_cursor_field", "next_cursor"),
			},
			"match_field": _text(profile, "match_field"),
		}
	if not _text(profile, "remote_doctype"):
		raise ProfileError("Remote DocType is required for a Frappe Site remote")
	return {
		"type": "frappe",
		"connection_id": connection_id,
		"doctype": _text(profile, "remote_doctype"),
		"time_zone": _text(profile, "remote_time_zone", "UTC"),
		"match_field": _text(profile, "match_field"),
	}


def build_match_on(text: str | None, local_fields: set[str] | None) -> dict | None:
	"""Match Existing Records On → {local_field, remote_field}, or None (records are never paired
	by key). `local_fields`: the DocType's fieldnames (None: not checked)."""
	if not (text or "").strip():
		return None
	label = "Match Existing Records On"
	try:
		value = json.loads(text)
	except ValueError as e:
		raise ProfileError(f"{label}: not JSON ({e})") from None
	if not isinstance(value, dict) or set(value) != {"local_field", "remote_field"} or not all(isinstance(v, str) for v in value.values()):
		raise ProfileError(f'{label}: {{"local_field": "customer_name", "remote_field": "name"}}')
	local, remote = value["local_field"].strip(), value["remote_field"].strip()
	if not FIELDNAME_RE.match(local) or (local_fields is not None and local not in local_fields):
		raise ProfileError(f"{label}: the local DocType has no field {local!r}")
	if not REMOTE_FIELD_RE.match(remote):
		raise ProfileError(f"{label}: {remote!r} is not a remote field (a key, or a dotted path)")
	return {"local_field": local, "remote_field": remote}


def _int(profile: dict, field: str, default: int) -> int:
	value = profile.get(field)
	return default if value in (None, "") else int(value)


def build_deletes(profile: dict) -> dict:
	rule = profile.get("remote_delete_rule") or "None"
	if rule not in DELETE_RULES:
		raise ProfileError(f"Remote Deletes: unknown rule {rule!r}")
	deletes = {"push": bool(profile.get("push_deletes")), "pull": bool(profile.get("pull_deletes")), "remote_rule": DELETE_RULES[rule]}
	if rule == "Tombstone":
		field = _text(profile, "tombstone_field")
		if not field or not REMOTE_FIELD_RE.match(field):
			raise ProfileError("Tombstone Field: the remote field that marks a deleted record")
		text = _text(profile, "tombstone_value", "true")
		try:
			value = json.loads(text)
		except ValueError:
			value = text  # a bare word is the string it reads as
		if not _plain(value):
			raise ProfileError("Tombstone Value: a plain value (true, 1, \"archived\")")
		deletes.update(tombstone_field=field, tombstone_value=value)
	if rule == "Absence" and profile.get("remote_type") != "Generic REST":
		raise ProfileError("Absence is for Generic REST remotes: a Frappe site lists its deletes")
	return deletes


def build_config(profile: dict, rows: list[dict], *, connection_id: str, local_fields: set[str] | None = None, link_ids: dict[str, str] | None = None) -> dict:
	"""The whole §1 JSON for PUT /v1/sync/profiles/{id}. `profile`: the DocType's values."""
	for field, choices in (("direction", DIRECTIONS), ("mode", MODES), ("conflict_strategy", STRATEGIES)):
		if profile.get(field) not in choices:
			raise ProfileError(f"{field.replace('_', ' ').title()}: one of {', '.join(choices)}")
	page_size, lookback_s = _int(profile, "page_size", 200), _int(profile, "lookback_s", 300)
	max_attempts = _int(profile, "max_attempts", 5)
	if not 1 <= page_size <= MAX_PAGE_SIZE:
		raise ProfileError(f"Page Size must be between 1 and {MAX_PAGE_SIZE}")
	if not 0 <= lookback_s <= MAX_LOOKBACK_S:
		raise ProfileError(f"Lookback must be between 0 and {MAX_LOOKBACK_S} seconds")
	if not 1 <= max_attempts <= MAX_ATTEMPTS:
		raise ProfileError(f"Max Attempts must be between 1 and {MAX_ATTEMPTS}")
	cron = _text(profile, "schedule_cron")
	if profile["mode"] == "Scheduled" and not cron:
		raise ProfileError("A scheduled profile needs its Cron")
	return {
		"enabled": bool(profile.get("enabled")),
		"local_doctype": profile["local_doctype"],
		"direction": DIRECTIONS[profile["direction"]],
		"mode": MODES[profile["mode"]],
		"schedule_cron": check_cron(cron) if cron and profile["mode"] != "Batch" else None,
		"conflict_strategy": STRATEGIES[profile["conflict_strategy"]],
		"latest_fallback": SIDES.get(profile.get("latest_fallback") or "Local", "local"),
		"page_size": page_size,
		"lookback_s": lookback_s,
		"local_filters": parse_filters(profile.get("local_filters"), "Local Filters", local=True),
		"remote_filters": parse_filters(profile.get("remote_filters"), "Remote Filters", local=False),
		"deletes": build_deletes(profile),
		"max_attempts": max_attempts,
		"match_on": build_match_on(profile.get("match_on"), local_fields),
		"remote": build_remote(profile, connection_id),
		"fields": build_fields(rows, local_fields, link_ids or {}),
	}
