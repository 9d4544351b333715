"""The site as the sync engine's local store (docs/sync.md §2): changed records by keyset,
records by name, upserts and deletes one savepoint each, and the local deletes (Deleted
Document). Called by `api.sync` for the Sidecar API User, page by page: each call is one short
request and one commit, never a long transaction.

The Sidecar API User needs no role of its own: it may read and write a DocType exactly while an
Integration Sync Profile names it, and only a user who may create and write that DocType can
save such a profile (its controller checks). Within that, writes skip per-user permissions but
run every validation, hook and naming rule of the DocType."""

from contextlib import contextmanager
from datetime import timedelta

import frappe
from frappe.utils import get_datetime

from integrations_app.sitetime import to_iso_utc
from integrations_app.sync.config import NO_VALUE_TYPES, PROFILE, STANDARD_FIELDS, local_fieldnames

MAX_BATCH = 1000
IDEMPOTENCY_TTL_S = 86_400  # how long a repeated insert is recognised (docs/sync.md §2)
SYNC_MARKER = "integrations_sync_profile"  # outbound.doc_events reads it: no echo to this profile
# Changes any writer may make to a record: never the identity or bookkeeping columns.
NOT_WRITABLE = frozenset(STANDARD_FIELDS) | {"amended_from", "parent", "parenttype", "parentfield"}


class StoreError(frappe.ValidationError):
	pass


def _check_batch(items, what: str) -> list:
	if not isinstance(items, list):
		raise StoreError(f"{what} must be a list")
	if len(items) > MAX_BATCH:
		raise StoreError(f"at most {MAX_BATCH} {what} per call")
	return items


def check_synced(doctype: str) -> None:
	"""Only a DocType some profile syncs is open to the engine."""
	if not isinstance(doctype, str) or not frappe.db.exists(PROFILE, {"local_doctype": doctype}):
		raise frappe.PermissionError(f"No Integration Sync Profile syncs {doctype!r}")


def record(doc) -> dict:
	"""Rec = {name, modified, modified_utc, doc}: `modified` as the site's naive string (the cursor
	value), `modified_utc` the same instant in UTC for latest_wins."""
	data = doc.as_dict(convert_dates_to_str=True, no_nulls=False)
	for key in ("__onload", "__unsaved", "__islocal"):
		data.pop(key, None)
	modified = str(doc.modified)
	return {"name": doc.name, "modified": modified, "modified_utc": to_iso_utc(modified), "doc": data}


def _since(since) -> tuple[str, str] | None:
	if since is None:
		return None
	if not isinstance(since, dict) or not since.get("modified") or not isinstance(since.get("name"), str):
		raise StoreError("since must be {modified, name} or null")
	try:
		get_datetime(since["modified"])
	except Exception:
		raise StoreError(f"since.modified {since['modified']!r} is not a date-time") from None
	return str(since["modified"]), since["name"]


def _limit(limit) -> int:
	try:
		limit = int(limit)
	except (TypeError, ValueError):
		raise StoreError("limit must be a number") from None
	if not 1 <= limit <= MAX_BATCH:
		raise StoreError(f"limit must be between 1 and {MAX_BATCH}")
	return limit


def list_changes(doctype: str, since, limit, lookback_s=0) -> dict:
	"""Records with (modified, name) > since, after moving since back by `lookback_s`; keyset
	order, so rows sharing a timestamp are neither skipped nor repeated between pages."""
	check_synced(doctype)
	limit, after = _limit(limit), _since(since)
	lookback = int(lookback_s or 0)
	if lookback < 0:
		raise StoreError("lookback_s must be 0 or more")
	params: list = []
	where = ""
	if after:
		modified, name = after
		if lookback:
			modified, name = str(get_datetime(modified) - timedelta(seconds=lookback)), ""
		where = "where `modified` > %s or (`modified` = %s and `name` > %s)"
		params = [modified, modified, name]
	names = frappe.db.sql(
		f"select `name` from `tab{doctype}` {where} order by `modified` asc, `name` asc limit %s",
		(*params, limit),
		pluck=True,
	)
	records = _records(doctype, names)
	last = records[-1] if len(records) == limit else None
	return {"records": records, "next": {"modified": last["modified"], "name": last["name"]} if last else None}


def get_records(doctype: str, names) -> dict:
	check_synced(doctype)
	names = _check_batch(names, "names")
	found = set(frappe.get_all(doctype, filters={"name": ("in", names)}, pluck="name")) if names else set()
	return {"records": _records(doctype, [n for n in names if n in found]), "missing": [n for n in names if n not in found]}


def find_records(doctype: str, field: str, values, limit_per_value: int = 2) -> dict:
	"""Records whose `field` holds one of `values` (a profile's `match_on` key, docs/sync.md §4):
	{records: [...]}, at most `limit_per_value` per value, enough to tell one match from several."""
	check_synced(doctype)
	values = _check_batch(values, "values")
	if not isinstance(field, str) or field not in local_fieldnames(doctype):
		raise StoreError(f"{doctype} has no field {field!r} to match on")
	if not all(isinstance(v, str) for v in values):
		raise StoreError("values must be strings")
	if not values:
		return {"records": []}
	# Ranked per value, so a value many records hold cannot crowd the others out of the answer.
	kept = frappe.db.sql_list(
		f"""select `name` from (select `name`, row_number() over (partition by `{field}` order by `name`) as `n`
		from `tab{doctype}` where `{field}` in %s) ranked where `n` <= %s order by `name`""",
		(tuple(values), int(limit_per_value)),
	)
	return {"records": _records(doctype, kept)}


def _records(doctype: str, names: list[str]) -> list[dict]:
	"""Recs in `names` order. A DocType without child tables is read in one query (a page is up
	to 1,000 records); one with them loads each document, children included."""
	if not names:
		return []
	if frappe.get_meta(doctype).get_table_fields():
		return [record(frappe.get_doc(doctype, name)) for name in names]
	rows = {row.name: row for row in frappe.db.sql(f"select * from `tab{doctype}` where `name` in %s", (tuple(names),), as_dict=True)}
	return [record(frappe.get_doc({"doctype": doctype, **rows[name]})) for name in names if name in rows]


def writable_fields(doctype: str) -> set[str]:
	meta = frappe.get_meta(doctype)
	return {df.fieldname for df in meta.fields if df.fieldtype not in NO_VALUE_TYPES and df.fieldname not in NOT_WRITABLE}


@contextmanager
def _as_sync(profile_id: str):
	"""The echo marker, and no user-facing messages: a record's failure is answered per record."""
	previous = frappe.flags.get(SYNC_MARKER)
	frappe.flags[SYNC_MARKER] = profile_id
	log = frappe.local.message_log
	length = len(log)
	try:
		yield
	finally:
		frappe.flags[SYNC_MARKER] = previous
		del log[length:]


def _failure(e: Exception) -> dict:
	"""{code, error, retryable} for a record that could not be written."""
	message = str(e) or type(e).__name__
	if isinstance(e, frappe.TimestampMismatchError):
		return {"code": "conflict", "error": message, "retryable": True}  # someone saved it meanwhile
	if isinstance(e, frappe.DoesNotExistError):
		return {"code": "not_found", "error": message, "retryable": False}
	if isinstance(e, frappe.PermissionError):
		return {"code": "permission", "error": message, "retryable": False}
	if isinstance(e, frappe.DuplicateEntryError):
		return {"code": "duplicate", "error": message, "retryable": False}
	if isinstance(e, frappe.ValidationError):
		return {"code": "validation", "error": message, "retryable": False}
	if isinstance(e, (frappe.QueryDeadlockError, frappe.QueryTimeoutError)):
		return {"code": "locked", "error": message, "retryable": True}
	return {"code": "error", "error": f"{type(e).__name__}: {message}", "retryable": True}


def _idempotency_cache_key(profile_id: str, doctype: str, key: str) -> str:
	return f"ia_sync_idem:{profile_id}:{doctype}:{key}"


def _write_one(profile_id: str, doctype: str, item: dict, allowed: set[str]) -> dict:
	name, values = item.get("name"), item.get("values")
	if not isinstance(values, dict):
		raise StoreError("values must be an object")
	unknown = sorted(set(values) - allowed)
	if unknown:
		raise StoreError(f"{doctype} has no writable field {', '.join(unknown)}")
	if name is None:
		idempotency_key = item.get("idempotency_key")
		cache_key = None
		if idempotency_key is not None:
			if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
				raise StoreError("idempotency_key must be a string of 1-200 characters")
			# The engine repeats an insert it never saw answered (a crash, a timeout): the
			# document made the first time is the answer, not a second one.
			cache_key = _idempotency_cache_key(profile_id, doctype, idempotency_key)
			made = frappe.cache.get_value(cache_key)
			if made and frappe.db.exists(doctype, made):
				return {"name": made, "created": False, "record": record(frappe.get_doc(doctype, made))}
		doc = frappe.new_doc(doctype)
		doc.update(values)
		doc.insert(ignore_permissions=True)
		if cache_key:
			frappe.cache.set_value(cache_key, doc.name, expires_in_sec=IDEMPOTENCY_TTL_S)
		return {"name": doc.name, "created": True, "record": record(doc)}
	if not isinstance(name, str) or not frappe.db.exists(doctype, name):
		raise frappe.DoesNotExistError(f"{doctype} {name} not found")
	doc = frappe.get_doc(doctype, name)
	doc.update(values)
	doc.save(ignore_permissions=True)
	return {"name": doc.name, "created": False, "record": record(doc)}


def upsert_records(profile_id: str, doctype: str, records) -> dict:
	"""Each record in its own savepoint: one failing validation leaves the others saved."""
	check_synced(doctype)
	records = _check_batch(records, "records")
	allowed = writable_fields(doctype)
	results = []
	with _as_sync(profile_id):
		for index, item in enumerate(records):
			key = item.get("key") if isinstance(item, dict) else None
			savepoint = f"sync_upsert_{index}"
			frappe.db.savepoint(savepoint)
			try:
				if not isinstance(item, dict):
					raise StoreError("a record must be an object")
				results.append({"key": key, "ok": True, **_write_one(profile_id, doctype, item, allowed)})
				frappe.db.release_savepoint(savepoint)
			except Exception as e:
				frappe.db.rollback(save_point=savepoint)
				results.append({"key": key, "ok": False, **_failure(e)})
	return {"results": results}


def delete_records(profile_id: str, doctype: str, names) -> dict:
	check_synced(doctype)
	names = _check_batch(names, "names")
	results = []
	with _as_sync(profile_id):
		for index, name in enumerate(names):
			savepoint = f"sync_delete_{index}"
			frappe.db.savepoint(savepoint)
			try:
				if not isinstance(name, str):
					raise StoreError("names must be strings")
				if frappe.db.exists(doctype, name):
					frappe.delete_doc(doctype, name, ignore_permissions=True)
				results.append({"name": name, "ok": True})
				frappe.db.release_savepoint(savepoint)
			except Exception as e:
				frappe.db.rollback(save_point=savepoint)
				results.append({"name": name, "ok": False, **_failure(e)})
	return {"results": results}


def list_deleted(doctype: str, since, limit) -> dict:
	"""Deleted Document rows of `doctype` (not restored), keyset (creation, name) ascending."""
	check_synced(doctype)
	limit = _limit(limit)
	if since is not None and not (isinstance(since, dict) and since.get("creation") and isinstance(since.get("name"), str)):
		raise StoreError("since must be {creation, name} or null")
	where, params = "", []
	if since:
		where = "and (`creation` > %s or (`creation` = %s and `name` > %s))"
		params = [since["creation"], since["creation"], since["name"]]
	rows = frappe.db.sql(
		f"""select `name`, `deleted_name`, `creation` from `tabDeleted Document`
		where `deleted_doctype` = %s and `restored` = 0 {where}
		order by `creation` asc, `name` asc limit %s""",
		(doctype, *params, limit),
		as_dict=True,
	)
	records = [
		{"name": r.deleted_name, "deleted_at": str(r.creation), "deleted_at_utc": to_iso_utc(r.creation), "deletion_id": r.name}
		for r in rows
	]
	last = rows[-1] if len(rows) == limit else None
	return {"records": records, "next": {"creation": str(last.creation), "name": last.name} if last else None}
