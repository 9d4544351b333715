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
	if not frappe.db.exists(PROFILE, profile_id):
		raise frappe.DoesNotExistError(f"No Integration Sync Profile {profile_id!r}")
	run = rules.parse_run(raw)
	values = dict(run.values)
	values["started_at"] = _local(values["started_at"])
	values["finished_at"] = _local(values["finished_at"])
	name = frappe.db.get_value(RUN, {"run_id": run.run_id}, "name", for_update=True)
	if name:
		current_status = frappe.db.get_value(RUN, name, "status")
		if current_status in rules.FINAL and values["status"] not in rules.FINAL:
			values.pop("status")  # a late progress report does not reopen a finished run
		for key in ("started_at", "finished_at"):
			if values[key] is None:
				values.pop(key)  # not sent in this report: keep the stored time
		frappe.db.set_value(RUN, name, values)
	else:
		doc = frappe.get_doc({"doctype": RUN, "profile": profile_id, "run_id": run.run_id, "requested_by": requested_by, **values})
		doc.insert(ignore_permissions=True)
		name = doc.name
	_update_profile(profile_id, name, values, run.state)
	return name


def _update_profile(profile_id: str, run_name: str, values: dict, state: dict | None) -> None:
	status = values.get("status") or frappe.db.get_value(RUN, run_name, "status")
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
