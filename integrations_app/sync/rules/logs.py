"""The Sync Log rows the sidecar writes (`write_sync_logs`, docs/sync.md §2), checked and
turned into column values. Frappe-free: datetimes stay ISO strings here; the caller converts
them to site time."""

import json
from dataclasses import dataclass, field

from integrations_app.sync.rules.redact import redact

STATUSES = ("Synced", "Failed", "Conflict", "Skipped", "Deleted")
DIRECTIONS = ("push", "pull", "none")
MAX_ROWS = 1000
MAX_ID = 140  # the Data column
MAX_ERROR = 1000
MAX_JSON = 1_000_000
HASH_LEN = 64
# Fields the sidecar may send; anything not sent keeps its value.
SCALARS = ("local_hash", "remote_hash", "local_modified", "remote_modified", "run_id")
DATETIMES = ("last_synced_at", "next_retry_at")


class LogRowError(ValueError):
	pass


@dataclass
class LogRow:
	local_name: str | None
	external_id: str | None
	values: dict = field(default_factory=dict)  # column → value; ISO strings for DATETIMES
	events: list = field(default_factory=list)


def _optional_str(raw: dict, key: str, limit: int) -> str | None:
	value = raw.get(key)
	if value is None or value == "":
		return None
	if not isinstance(value, str):
		raise LogRowError(f"{key} must be a string")
	if len(value) > limit:
		raise LogRowError(f"{key} is longer than {limit} characters")
	return value


def _json(value, key: str) -> str | None:
	if value is None:
		return None
	if not isinstance(value, dict):
		raise LogRowError(f"{key} must be an object or null")
	text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
	if len(text) > MAX_JSON:
		raise LogRowError(f"{key} is too large")
	return text


def parse_row(raw) -> LogRow:
	if not isinstance(raw, dict):
		raise LogRowError("a row must be an object")
	local_name = _optional_str(raw, "local_name", MAX_ID)
	external_id = _optional_str(raw, "external_id", MAX_ID)
	if not local_name and not external_id:
		raise LogRowError("a row needs local_name or external_id")
	values: dict = {}
	if "status" in raw:
		if raw["status"] not in STATUSES:
			raise LogRowError(f"status must be one of {', '.join(STATUSES)}")
		values["status"] = raw["status"]
	if "last_direction" in raw:
		if raw["last_direction"] not in DIRECTIONS:
			raise LogRowError(f"last_direction must be one of {', '.join(DIRECTIONS)}")
		values["last_direction"] = raw["last_direction"]
	for key in SCALARS:
		if key in raw:
			values[key] = _optional_str(raw, key, HASH_LEN if key.endswith("_hash") else MAX_ID)
	for key in DATETIMES:
		if key in raw:
			values[key] = _optional_str(raw, key, 64)
	if "attempts" in raw:
		attempts = raw["attempts"]
		if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
			raise LogRowError("attempts must be a non-negative integer")
		values["attempts"] = attempts
	if "error" in raw:
		error = raw["error"]
		if error is not None and not isinstance(error, str):
			raise LogRowError("error must be a string or null")
		values["error"] = redact(error)[:MAX_ERROR] if error else None
	if "base_values" in raw:
		values["base_values"] = _json(raw["base_values"], "base_values")
	if "conflict" in raw:
		conflict = raw["conflict"]
		if conflict is not None and not (isinstance(conflict, dict) and isinstance(conflict.get("fields"), list)):
			raise LogRowError("conflict must be null or {detected_at, fields, local, remote, base}")
		values["conflict"] = _json(conflict, "conflict")
	events = raw.get("events") or []
	if not isinstance(events, list):
		raise LogRowError("events must be a list")
	return LogRow(local_name, external_id, values, [_redacted_event(e) for e in events if isinstance(e, dict)])


def _redacted_event(event: dict) -> dict:
	detail = event.get("detail")
	return {**event, "detail": redact(detail)} if isinstance(detail, str) else event


def parse_rows(raw_rows) -> list[LogRow]:
	"""All rows or a LogRowError naming the first bad one (the sidecar sends what it built, so a
	bad row is a bug to see, not a record to skip)."""
	if not isinstance(raw_rows, list):
		raise LogRowError("rows must be a list")
	if len(raw_rows) > MAX_ROWS:
		raise LogRowError(f"at most {MAX_ROWS} rows per call")
	rows = []
	for index, raw in enumerate(raw_rows):
		try:
			rows.append(parse_row(raw))
		except LogRowError as e:
			raise LogRowError(f"rows[{index}]: {e}") from None
	return rows
