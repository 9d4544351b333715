"""Integration Sync Log rows: what the engine reads back (`get_sync_logs`, `list_sync_logs`) and
writes after every page (`write_sync_logs`), docs/sync.md §2. One row per (profile, record);
the unique index (profile, external_id) keeps a retried or concurrent write from adding a second.
Rows are written with plain SQL: a page is up to 1,000 rows, and a Document save per row (with
its Version) would cost more than the page's own records."""

import json

import frappe
from frappe.utils import now

from integrations_app.sitetime import from_iso, to_iso_utc
from integrations_app.sync.config import LOG, PROFILE
from integrations_app.sync.rules import history
from integrations_app.sync.rules import logs as rules

MAX_IDS = 1000
OUT_FIELDS = (
	"name",
	"local_name",
	"external_id",
	"status",
	"last_direction",
	"local_hash",
	"remote_hash",
	"base_values",
	"last_synced_at",
	"local_modified",
	"remote_modified",
	"attempts",
	"next_retry_at",
	"error",
	"conflict",
	"run_id",
)


def _json(text: str | None):
	try:
		return json.loads(text) if text else None
	except ValueError:
		return None


def to_wire(row) -> dict:
	"""A row as the sidecar's SyncLog (times as ISO UTC, JSON columns parsed)."""
	return {
		"local_name": row.local_name or None,
		"external_id": row.external_id or None,
		"status": row.status,
		"last_direction": row.last_direction or "none",
		"local_hash": row.local_hash or None,
		"remote_hash": row.remote_hash or None,
		"base_values": _json(row.base_values),
		"last_synced_at": to_iso_utc(row.last_synced_at) if row.last_synced_at else None,
		"local_modified": row.local_modified or None,
		"remote_modified": row.remote_modified or None,
		"attempts": row.attempts or 0,
		"next_retry_at": to_iso_utc(row.next_retry_at) if row.next_retry_at else None,
		"error": row.error or None,
		"conflict": _json(row.conflict),
		"run_id": row.run_id or None,
	}


def _ids(values, what: str) -> list[str]:
	values = values or []
	if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
		raise frappe.ValidationError(f"{what} must be a list of strings")
	if len(values) > MAX_IDS:
		raise frappe.ValidationError(f"at most {MAX_IDS} {what} per call")
	return values


def _rows(profile_id: str, where: str, params: tuple, extra: str = "") -> list:
	return frappe.db.sql(
		f"select {', '.join(f'`{f}`' for f in OUT_FIELDS)}, `history` from `tab{LOG}` where `profile` = %s and ({where}) {extra}",
		(profile_id, *params),
		as_dict=True,
	)


def get_sync_logs(profile_id: str, local_names=None, external_ids=None) -> dict:
	local_names, external_ids = _ids(local_names, "local_names"), _ids(external_ids, "external_ids")
	clauses, params = [], []
	if local_names:
		clauses.append("`local_name` in %s")
		params.append(tuple(local_names))
	if external_ids:
		clauses.append("`external_id` in %s")
		params.append(tuple(external_ids))
	if not clauses:
		return {"rows": []}
	return {"rows": [to_wire(r) for r in _rows(profile_id, " or ".join(clauses), tuple(params))]}


def list_sync_logs(profile_id: str, status=None, after=None, limit=500) -> dict:
	"""Paged by row name ascending (retry-failed and the absence rule walk them)."""
	limit = int(limit or 500)
	if not 1 <= limit <= MAX_IDS:
		raise frappe.ValidationError(f"limit must be between 1 and {MAX_IDS}")
	if status is not None and status not in rules.STATUSES:
		raise frappe.ValidationError(f"status must be one of {', '.join(rules.STATUSES)}")
	where, params = "`name` > %s", [after or ""]
	if status:
		where += " and `status` = %s"
		params.append(status)
	rows = _rows(profile_id, where, tuple(params), "order by `name` asc limit %s" % limit)
	return {"rows": [to_wire(r) for r in rows], "next": rows[-1].name if len(rows) == limit else None}


def _local_time(values: dict) -> dict:
	for key in rules.DATETIMES:
		if key in values:
			try:
				values[key] = from_iso(values[key])
			except ValueError:
				raise rules.LogRowError(f"{key} is not an ISO 8601 date-time") from None
	return values


def _existing(profile_id: str, rows: list[rules.LogRow]) -> tuple[dict, dict]:
	external_ids = tuple({r.external_id for r in rows if r.external_id})
	local_names = tuple({r.local_name for r in rows if r.local_name})
	by_external, by_local = {}, {}
	clauses, params = [], []
	if external_ids:
		clauses.append("`external_id` in %s")
		params.append(external_ids)
	if local_names:
		clauses.append("`local_name` in %s")
		params.append(local_names)
	found = frappe.db.sql(
		f"""select `name`, `local_name`, `external_id`, `history` from `tab{LOG}`
		where `profile` = %s and ({' or '.join(clauses)}) for update""",
		(profile_id, *params),
		as_dict=True,
	)
	for row in found:
		if row.external_id:
			by_external[row.external_id] = row
		if row.local_name:
			by_local.setdefault(row.local_name, row)
	return by_external, by_local


def write_sync_logs(profile_id: str, raw_rows) -> dict:
	local_doctype = frappe.db.get_value(PROFILE, profile_id, "local_doctype")
	if not local_doctype:
		raise frappe.DoesNotExistError(f"No Integration Sync Profile {profile_id!r}")
	rows = rules.parse_rows(raw_rows)
	if not rows:
		return {"written": 0}
	by_external, by_local = _existing(profile_id, rows)
	timestamp, user = now(), frappe.session.user
	written = 0
	for row in rows:
		values = _local_time(dict(row.values))
		existing = by_external.get(row.external_id) if row.external_id else None
		if existing is None and row.local_name:
			candidate = by_local.get(row.local_name)
			if candidate and (not candidate.external_id or not row.external_id or candidate.external_id == row.external_id):
				existing = candidate
		events = [{"direction": values.get("last_direction"), "run_id": values.get("run_id"), **e} for e in row.events]
		if existing:
			if row.external_id and not existing.external_id:
				values["external_id"] = row.external_id
			if row.local_name and row.local_name != existing.local_name:
				values["local_name"] = row.local_name  # renamed locally, or created for this remote record
			if events:
				existing.history = values["history"] = history.append(existing.history, events)
			_update(existing.name, values, timestamp, user)
		else:
			created = _insert(profile_id, local_doctype, row, values, history.append(None, events), timestamp, user)
			if row.external_id:
				by_external[row.external_id] = created
			if row.local_name:
				by_local[row.local_name] = created
		written += 1
	return {"written": written}


def _update(name: str, values: dict, timestamp: str, user: str) -> None:
	values = {**values, "modified": timestamp, "modified_by": user}
	assignments = ", ".join(f"`{key}` = %({key})s" for key in values)
	frappe.db.sql(f"update `tab{LOG}` set {assignments} where `name` = %(__name)s", {**values, "__name": name})


def _insert(profile_id: str, local_doctype: str, row: rules.LogRow, values: dict, history_text: str, timestamp: str, user: str):
	name = frappe.generate_hash(length=10)
	columns = {
		"name": name,
		"creation": timestamp,
		"modified": timestamp,
		"owner": user,
		"modified_by": user,
		"profile": profile_id,
		"local_doctype": local_doctype,
		"local_name": row.local_name,
		"external_id": row.external_id,
		"status": "Synced",
		"last_direction": "none",
		"attempts": 0,
		**values,
		"history": history_text,
	}
	keys = list(columns)
	# A concurrent writer may have added the row for this external id since it was read: the
	# unique index turns this insert into an update of that row.
	updates = ", ".join(f"`{k}` = values(`{k}`)" for k in keys if k not in ("name", "creation", "owner", "profile"))
	frappe.db.sql(
		f"insert into `tab{LOG}` ({', '.join(f'`{k}`' for k in keys)}) values ({', '.join(['%s'] * len(keys))}) on duplicate key update {updates}",
		tuple(columns[k] for k in keys),
	)
	return frappe._dict(name=name, local_name=row.local_name, external_id=row.external_id, history=history_text)
