"""Integration Sync Run rows: the runs the sidecar reports (`report_run`, docs/sync.md §2) and
the ones desk starts, with the profile's last-run summary and cursors kept in step."""

import json

import frappe
from frappe.utils import now

from integrations_app.sitetime import from_iso
from integrations_app.sync.config import PROFILE, RUN
from integrations_app.sync.rules import runs as rules


def _local(value: str | None):
	try:
		return from_iso(value)
	except ValueError:
		return None


def record_run(profile_id: str, raw: dict, requested_by: str | None = None) -> str:
	"""Upsert the run by its run_id; returns the row's name. `state` (cursors) goes to the profile."""
	run = rules.parse_run(raw)
	# The profile's row lock first, so a profile's reports take turns. The desk's run_now and the
	# sidecar's first report of the same new run arrive together: two `SELECT … FOR UPDATE`
	# misses on run_id each take a gap lock, and their two inserts then deadlock (InnoDB).
	if not frappe.db.sql(f"select name from `tab{PROFILE}` where name = %s for update", profile_id):
		raise frappe.DoesNotExistError(f"No Integration Sync Profile {profile_id!r}")
	values = dict(run.values)
	values["started_at"] = _local(values["started_at"])
	values["finished_at"] = _local(values["finished_at"])
	# A locking read: the status the other report just committed, not this transaction's snapshot.
	current = frappe.db.get_value(RUN, {"run_id": run.run_id}, ["name", "status"], as_dict=True, for_update=True)
	current_status = current.status if current else None
	if current:
		name = current.name
		if current_status in rules.FINAL and values["status"] not in rules.FINAL:
			values.pop("status")  # a late progress report does not reopen a finished run
		for key in ("started_at", "finished_at"):
			if values[key] is None:
				values.pop(key)  # not sent in this report: keep the stored time
		# whichever of the desk and the sidecar wrote the row first, the desk's request names who asked
		frappe.db.set_value(RUN, name, {**values, **({"requested_by": requested_by} if requested_by else {})})
	else:
		doc = frappe.get_doc({"doctype": RUN, "profile": profile_id, "run_id": run.run_id, "requested_by": requested_by, **values})
		doc.insert(ignore_permissions=True)
		name = doc.name
	_update_profile(profile_id, name, values.get("status") or current_status, values, run.state)
	return name


def _update_profile(profile_id: str, run_name: str, status: str, values: dict, state: dict | None) -> None:
	profile = {
		"last_run": run_name,
		"last_run_status": status,
		"last_run_at": values.get("started_at") or now(),
		"last_run_summary": rules.summary({**values, "status": status}),
	}
	for key in rules.CURSORS:
		if state and key in state:
			value = state[key]
			profile[key] = value if isinstance(value, str) or value is None else json.dumps(value, separators=(",", ":"))
	frappe.db.set_value(PROFILE, profile_id, profile, update_modified=False)


RUN_FIELDS = [
	"name",
	"run_id",
	"profile",
	"kind",
	"status",
	"phase",
	"started_at",
	"finished_at",
	"requested_by",
	"seen",
	"total",
	"created",
	"linked",
	"updated",
	"deleted",
	"skipped",
	"failed",
	"conflicts",
	"error",
]
