"""Data sync methods (docs/sync.md §2 and docs/api.md "Sync").

Two callers:
- the sidecar's engine, as the Sidecar API User named in Integration Settings
  (`require_sidecar`): the local store it reads and writes page by page, the Sync Log, the runs;
  per-record problems are answered per record, never by failing the batch;
- desk (the SPA's Sync page), for System and Integration Managers with permission on the profile.
"""

import frappe
from frappe import _

from integrations_app.permissions import require_manager, require_sidecar
from integrations_app.sync import config as cfg
from integrations_app.sync import desk, errors, local_store, runs, sync_log
from integrations_app.sync.rules.logs import LogRowError
from integrations_app.sync.rules.profile import ProfileError
from integrations_app.sync.rules.runs import RunError

MAX_PAGE = 200


def _profile_for_engine(profile_id: str, doctype: str | None = None):
	if not isinstance(profile_id, str) or not frappe.db.exists(cfg.PROFILE, profile_id):
		raise frappe.DoesNotExistError(f"No Integration Sync Profile {profile_id!r}")
	local_doctype = frappe.db.get_value(cfg.PROFILE, profile_id, "local_doctype")
	if doctype is not None and doctype != local_doctype:
		frappe.throw(f"Profile {profile_id} syncs {local_doctype}, not {doctype}", frappe.ValidationError)
	return local_doctype


# --- the engine's methods (Sidecar API User only)


@frappe.whitelist(methods=["POST"])
def get_profile(profile_id: str) -> dict | None:
	"""The profile's §1 JSON plus `state` (its cursors), or null when there is no such profile."""
	require_sidecar()
	if not isinstance(profile_id, str) or not frappe.db.exists(cfg.PROFILE, profile_id):
		return None
	doc = frappe.get_doc(cfg.PROFILE, profile_id)
	try:
		config = cfg.profile_config(doc)
	except ProfileError as e:
		frappe.throw(f"Profile {profile_id} cannot be synced: {e}", frappe.ValidationError)
	return {**config, "state": cfg.profile_state(doc)}


@frappe.whitelist(methods=["POST"])
def list_changes(profile_id: str, doctype: str, since: dict | None = None, limit: int = 500, lookback_s: int = 0) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id, doctype)
	return local_store.list_changes(doctype, since, limit, lookback_s)


@frappe.whitelist(methods=["POST"])
def get_records(doctype: str, names: list) -> dict:
	require_sidecar()
	return local_store.get_records(doctype, names)


@frappe.whitelist(methods=["POST"])
def find_records(profile_id: str, doctype: str, field: str, values: list) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id, doctype)
	return local_store.find_records(doctype, field, values)


@frappe.whitelist(methods=["POST"])
def upsert_records(profile_id: str, doctype: str, records: list) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id, doctype)
	return local_store.upsert_records(profile_id, doctype, records)


@frappe.whitelist(methods=["POST"])
def delete_records(profile_id: str, doctype: str, names: list) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id, doctype)
	return local_store.delete_records(profile_id, doctype, names)


@frappe.whitelist(methods=["POST"])
def list_deleted(doctype: str, since: dict | None = None, limit: int = 500) -> dict:
	require_sidecar()
	return local_store.list_deleted(doctype, since, limit)


@frappe.whitelist(methods=["POST"])
def get_sync_logs(profile_id: str, local_names: list | None = None, external_ids: list | None = None) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id)
	return sync_log.get_sync_logs(profile_id, local_names, external_ids)


@frappe.whitelist(methods=["POST"])
def list_sync_logs(profile_id: str, status: str | None = None, after: str | None = None, limit: int = 500) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id)
	return sync_log.list_sync_logs(profile_id, status, after, limit)


@frappe.whitelist(methods=["POST"])
def write_sync_logs(profile_id: str, rows: list) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id)
	try:
		return sync_log.write_sync_logs(profile_id, rows)
	except LogRowError as e:
		frappe.throw(str(e), frappe.ValidationError)


@frappe.whitelist(methods=["POST"])
def report_run(profile_id: str, run: dict) -> dict:
	require_sidecar()
	_profile_for_engine(profile_id)
	try:
		runs.record_run(profile_id, run)
	except RunError as e:
		frappe.throw(str(e), frappe.ValidationError)
	return {"ok": True}


# --- desk (System and Integration Managers)


def _profile(profile: str, ptype: str = "read"):
	require_manager()
	if not isinstance(profile, str) or not frappe.db.exists(cfg.PROFILE, profile):
		raise errors.profile_not_found(profile)
	doc = frappe.get_doc(cfg.PROFILE, profile)
	doc.check_permission(ptype)
	return doc


def _log(log: str, ptype: str = "read"):
	require_manager()
	if not isinstance(log, str) or not frappe.db.exists(cfg.LOG, log):
		raise errors.SyncRecordNotFound(_("Sync Log row {0} does not exist (the profile was deleted, or the row purged)").format(log))
	row = frappe.get_doc(cfg.LOG, log)
	row.check_permission("read")
	_profile(row.profile, ptype)
	return row


def _page(start, limit) -> tuple[int, int]:
	start, limit = int(start or 0), int(limit or 50)
	if start < 0 or not 1 <= limit <= MAX_PAGE:
		frappe.throw(_("limit must be between 1 and {0}").format(MAX_PAGE))
	return start, limit


@frappe.whitelist()
def list_profiles() -> list[dict]:
	"""Profiles the user can read: mode, direction, last run, the run in progress, and how many
	records wait as Failed or in the conflict queue."""
	require_manager()
	names = frappe.get_list(cfg.PROFILE, pluck="name", limit_page_length=0)
	return desk.list_profiles(names)


@frappe.whitelist()
def list_runs(profile: str, limit: int = 20) -> list[dict]:
	_profile(profile)
	_, limit = _page(0, limit)
	return desk.list_runs(profile, limit)


@frappe.whitelist(methods=["POST"])
def run_now(profile: str, kind: str = "incremental") -> dict:
	"""Ask the engine for an incremental or full run → the Run (or the one already going)."""
	_profile(profile, "write")
	return desk.start_run(profile, kind)


@frappe.whitelist(methods=["POST"])
def retry_failed(profile: str) -> dict:
	"""Every Failed record of the profile, reconciled again one by one → the Run."""
	_profile(profile, "write")
	return desk.retry_failed(profile)


@frappe.whitelist(methods=["POST"])
def resync_record(profile: str, local_name: str | None = None, external_id: str | None = None) -> dict:
	"""Re-read both sides of one record and reconcile it, whatever its attempts → {queued: true}."""
	_profile(profile, "write")
	return desk.resync_record(profile, local_name, external_id)


@frappe.whitelist()
def list_records(profile: str | None = None, status: str | None = None, search: str | None = None, start: int = 0, limit: int = 50) -> list[dict]:
	"""Sync Log rows, newest change first; `search` matches the local name or the external id."""
	require_manager()
	start, limit = _page(start, limit)
	filters: dict = {}
	if profile:
		_profile(profile)
		filters["profile"] = profile
	if status:
		filters["status"] = status
	if search:
		names = frappe.get_list(
			cfg.LOG,
			filters=filters,
			or_filters={"local_name": ("like", f"%{search}%"), "external_id": ("like", f"%{search}%")},
			pluck="name",
			limit_page_length=MAX_PAGE,
		)
		filters["name"] = ("in", names or [""])
	return desk.list_logs(filters, start, limit)


@frappe.whitelist()
def list_conflicts(profile: str | None = None, start: int = 0, limit: int = 50) -> list[dict]:
	"""The conflict queue: Sync Log rows in Conflict, with the fields changed on both sides."""
	require_manager()
	start, limit = _page(start, limit)
	filters = {}
	if profile:
		_profile(profile)
		filters["profile"] = profile
	return desk.list_conflicts(filters, start, limit)


@frappe.whitelist()
def get_conflict(log: str) -> dict:
	"""Side by side: base (the last agreed values), local and remote, per mapped field."""
	return desk.conflict_view(_log(log))


@frappe.whitelist(methods=["POST"])
def resolve_conflict(log: str, take: str, values: dict | str | None = None) -> dict:
	"""take "local" or "remote", or "merge" with `values` {local field: value} for every field in
	conflict; the engine writes the result to both sides before it answers
	{status: "Synced" | "Failed", local_name, external_id, error}."""
	return desk.resolve(_log(log, "write"), take, values)


@frappe.whitelist()
def record_timeline(log: str) -> dict:
	"""A record's Sync Log row and its last events, newest first."""
	return desk.timeline(_log(log))
