"""What the Sync page shows and does (docs/api.md "Desk API for the SPA", Sync): profiles with
their last and active runs, run history, the conflict queue, a record's timeline, and the
actions that ask the sidecar's engine to work (run now, retry failed, resync a record, resolve
a conflict). Times go out as UTC ISO-8601; the caller has checked permissions."""

import frappe
from frappe import _

from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound
from integrations_app.sitetime import to_iso_utc
from integrations_app.sync import config as cfg
from integrations_app.sync import errors
from integrations_app.sync import runs
from integrations_app.sync.rules import conflicts as conflict_rules
from integrations_app.sync.rules import history
from integrations_app.sync.rules import profile as profile_rules
from integrations_app.sync.rules import runs as run_rules
from integrations_app.sync.rules.profile import ProfileError

ACTIVE = ("Queued", "Running")
PROFILE_FIELDS = [
	"name",
	"enabled",
	"local_doctype",
	"connection",
	"remote_type",
	"remote_doctype",
	"list_path",
	"direction",
	"mode",
	"schedule_cron",
	"conflict_strategy",
	"match_on",
	"last_run",
	"last_run_status",
	"last_run_at",
	"last_run_summary",
	"sidecar_synced",
]
LOG_LIST_FIELDS = ["name", "profile", "local_doctype", "local_name", "external_id", "status", "last_direction", "last_synced_at", "attempts", "next_retry_at", "error", "modified"]


def iso(value) -> str | None:
	return to_iso_utc(value) if value else None


def run_view(row) -> dict:
	view = {key: row.get(key) for key in runs.RUN_FIELDS}
	view["started_at"], view["finished_at"] = iso(row.get("started_at")), iso(row.get("finished_at"))
	view["progress"] = run_rules.progress(view)
	return view


def list_profiles(names: list[str]) -> list[dict]:
	"""Profiles (already permission-filtered) with their last run, a run in progress, and how many
	records wait as Failed or Conflict."""
	if not names:
		return []
	profiles = frappe.get_all(cfg.PROFILE, filters={"name": ("in", names)}, fields=PROFILE_FIELDS, order_by="name asc")
	counts = frappe.db.sql(
		f"""select `profile`, `status`, count(*) as n from `tab{cfg.LOG}`
		where `profile` in %s and `status` in ('Failed', 'Conflict') group by `profile`, `status`""",
		(tuple(names),),
		as_dict=True,
	)
	waiting: dict = {}
	for row in counts:
		waiting.setdefault(row.profile, {})[row.status] = row.n
	run_names = [p.last_run for p in profiles if p.last_run]
	last_runs = {r.name: r for r in frappe.get_all(cfg.RUN, filters={"name": ("in", run_names)}, fields=runs.RUN_FIELDS)} if run_names else {}
	active = {}
	for r in frappe.get_all(cfg.RUN, filters={"profile": ("in", names), "status": ("in", ACTIVE)}, fields=runs.RUN_FIELDS, order_by="creation desc"):
		active.setdefault(r.profile, r)
	out = []
	for p in profiles:
		out.append(
			{
				**p,
				"last_run_at": iso(p.last_run_at),
				"remote": p.remote_doctype if p.remote_type == "Frappe Site" else p.list_path,
				"match_on": _match_on(p.match_on),
				"last_run": run_view(last_runs[p.last_run]) if p.last_run in last_runs else None,
				"active_run": run_view(active[p.name]) if p.name in active else None,
				"failed": waiting.get(p.name, {}).get("Failed", 0),
				"conflicts": waiting.get(p.name, {}).get("Conflict", 0),
			}
		)
	return out


def _match_on(text: str | None) -> dict | None:
	"""The saved key pair as the page shows it; what does not parse was refused on save, so None."""
	try:
		return profile_rules.build_match_on(text, None)
	except profile_rules.ProfileError:
		return None


def list_runs(profile: str, limit: int) -> list[dict]:
	rows = frappe.get_all(cfg.RUN, filters={"profile": profile}, fields=runs.RUN_FIELDS, order_by="creation desc", limit=limit)
	return [run_view(r) for r in rows]


# --- asking the sidecar


def _call(profile: str, action):
	"""Run `action(client)`; a sidecar that does not know the profile gets it PUT, then the
	action is repeated once (docs/sync.md §5)."""
	client = SidecarClient.from_settings()
	try:
		return action(client)
	except SidecarNotFound as e:
		if e.code not in (None, errors.SyncProfileNotFound.code):
			raise
		try:
			cfg.push_profile(profile, client)
		except ProfileError as bad:
			frappe.throw(_("The profile cannot be sent to the sidecar: {0}").format(bad))
		frappe.db.set_value(cfg.PROFILE, profile, "sidecar_synced", 1, update_modified=False)
		return action(client)


def _sidecar_error(e: SidecarError, profile: str, record: dict | None = None):
	"""The sidecar's refusal as the error a person can act on (each code its own class)."""
	if e.code == "profile_disabled":
		frappe.throw(_("The profile is disabled: enable it first"))
	if e.code == errors.SyncProfileNotFound.code:
		raise errors.profile_not_found(profile, by_sidecar=True)
	if e.code == errors.SyncRecordNotFound.code:
		raise errors.record_not_found((record or {}).get("local_name"), (record or {}).get("external_id"))
	if e.code == errors.ConflictAlreadyResolved.code:
		raise errors.already_resolved(_("no longer in conflict"))
	frappe.throw(str(e), title=_("Sidecar"))


def start_run(profile: str, kind: str) -> dict:
	if kind not in ("incremental", "full"):
		frappe.throw(_("Kind must be incremental or full"))
	try:
		answer = _call(profile, lambda c: c.start_sync_run(profile, kind))
	except SidecarError as e:
		_sidecar_error(e, profile)
	return _keep_run(profile, answer)


def retry_failed(profile: str) -> dict:
	try:
		answer = _call(profile, lambda c: c.retry_failed_sync(profile))
	except SidecarError as e:
		_sidecar_error(e, profile)
	return _keep_run(profile, answer)


def _keep_run(profile: str, answer: dict) -> dict:
	"""The run the sidecar queued, stored now (by whom) so the page shows it before its first report."""
	if not isinstance(answer, dict) or not answer.get("run_id"):
		frappe.throw(_("The sidecar's answer names no run"))
	try:
		name = runs.record_run(profile, {k: v for k, v in answer.items() if k != "already_running"}, frappe.session.user)
	except run_rules.RunError as e:
		frappe.throw(_("The sidecar's answer is not a run: {0}").format(e))
	view = run_view(frappe.db.get_value(cfg.RUN, name, runs.RUN_FIELDS, as_dict=True))
	view["already_running"] = bool(answer.get("already_running"))
	return view


def resync_record(profile: str, local_name: str | None, external_id: str | None) -> dict:
	"""→ the sidecar's {queued: true}; the outcome lands in the record's Sync Log row."""
	if not local_name and not external_id:
		frappe.throw(_("Name the record: its local name or its external id"))
	body = {k: v for k, v in (("local_name", local_name), ("external_id", external_id)) if v}
	try:
		return _call(profile, lambda c: c.resync_record(profile, body))
	except SidecarError as e:
		_sidecar_error(e, profile, body)


# --- the conflict queue and the per-record timeline


def list_logs(filters: dict, start: int, limit: int) -> list[dict]:
	rows = frappe.get_list(cfg.LOG, filters=filters, fields=LOG_LIST_FIELDS, order_by="modified desc", start=start, limit=limit)
	for row in rows:
		row["last_synced_at"], row["next_retry_at"], row["modified"] = iso(row.last_synced_at), iso(row.next_retry_at), iso(row.modified)
	return rows


def list_conflicts(filters: dict, start: int, limit: int) -> list[dict]:
	rows = frappe.get_list(
		cfg.LOG, filters={**filters, "status": "Conflict"}, fields=[*LOG_LIST_FIELDS, "conflict"], order_by="modified desc", start=start, limit=limit
	)
	out = []
	for row in rows:
		conflict = conflict_rules.parse_conflict(row.pop("conflict"))
		row["last_synced_at"], row["next_retry_at"], row["modified"] = iso(row.last_synced_at), iso(row.next_retry_at), iso(row.modified)
		out.append({**row, "fields": conflict["fields"], "detected_at": conflict["detected_at"]})
	return out


def field_map(profile: str) -> list[dict]:
	return frappe.get_all(
		cfg.FIELD_MAP,
		filters={"parent": profile, "parenttype": cfg.PROFILE},
		fields=["local_field", "remote_field", "rule", "direction"],
		order_by="idx asc",
	)


def conflict_view(log) -> dict:
	conflict = conflict_rules.parse_conflict(log.conflict)
	return {
		"name": log.name,
		"profile": log.profile,
		"local_doctype": log.local_doctype,
		"local_name": log.local_name,
		"external_id": log.external_id,
		"status": log.status,
		"detected_at": conflict["detected_at"],
		"fields": conflict["fields"],
		"rows": conflict_rules.side_by_side(conflict, field_map(log.profile)),
	}


def resolve(log, take: str, values) -> dict:
	if log.status != "Conflict":
		raise errors.already_resolved(log.status)
	conflict = conflict_rules.parse_conflict(log.conflict)
	try:
		merged = conflict_rules.check_resolution(conflict, take, values)
	except conflict_rules.ConflictError as e:
		frappe.throw(str(e))
	body = {"take": take, **{k: v for k, v in (("local_name", log.local_name), ("external_id", log.external_id)) if v}}
	if merged is not None:
		body["values"] = merged
	try:
		return _call(log.profile, lambda c: c.resolve_sync_conflict(log.profile, body))
	except SidecarError as e:
		_sidecar_error(e, log.profile, body)


def timeline(log) -> dict:
	return {
		"name": log.name,
		"profile": log.profile,
		"local_doctype": log.local_doctype,
		"local_name": log.local_name,
		"external_id": log.external_id,
		"status": log.status,
		"last_direction": log.last_direction,
		"last_synced_at": iso(log.last_synced_at),
		"attempts": log.attempts or 0,
		"next_retry_at": iso(log.next_retry_at),
		"error": log.error,
		"events": list(reversed(history.parse(log.history))),  # newest first, as the page lists them
	}
