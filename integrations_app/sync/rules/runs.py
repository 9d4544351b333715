"""The runs the sidecar reports (`report_run`, docs/sync.md §2), as Integration Sync Run
values, and the one-line summary shown on the profile. Frappe-free."""

from dataclasses import dataclass

from integrations_app.sync.rules.redact import redact

KINDS = {"incremental": "Incremental", "full": "Full", "retry_failed": "Retry Failed", "changes": "Changes", "record": "Record"}
STATUSES = {"queued": "Queued", "running": "Running", "succeeded": "Succeeded", "failed": "Failed", "cancelled": "Cancelled"}
PHASES = ("pull", "push", "local_deletes", "remote_deletes", "done")
COUNTS = ("seen", "created", "linked", "updated", "deleted", "skipped", "failed", "conflicts")
FINAL = ("Succeeded", "Failed", "Cancelled")
CURSORS = ("local_cursor", "remote_cursor", "deleted_cursor")
MAX_ERROR = 1000


class RunError(ValueError):
	pass


@dataclass
class Run:
	run_id: str
	values: dict  # Integration Sync Run columns; started_at/finished_at as ISO strings
	state: dict | None  # cursors to store on the profile, when sent


def _count(stats: dict, key: str) -> int:
	value = stats.get(key, 0)
	if isinstance(value, bool) or not isinstance(value, int) or value < 0:
		raise RunError(f"stats.{key} must be a non-negative integer")
	return value


def parse_run(raw) -> Run:
	if not isinstance(raw, dict):
		raise RunError("run must be an object")
	run_id = raw.get("run_id")
	if not isinstance(run_id, str) or not run_id or len(run_id) > 140:
		raise RunError("run.run_id is required (≤140 characters)")
	if raw.get("kind") not in KINDS:
		raise RunError(f"run.kind must be one of {', '.join(KINDS)}")
	if raw.get("status") not in STATUSES:
		raise RunError(f"run.status must be one of {', '.join(STATUSES)}")
	stats = raw.get("stats") or {}
	if not isinstance(stats, dict):
		raise RunError("run.stats must be an object")
	values = {
		"kind": KINDS[raw["kind"]],
		"status": STATUSES[raw["status"]],
		"phase": raw.get("phase") if raw.get("phase") in PHASES else None,
		"started_at": raw.get("started_at") or None,
		"finished_at": raw.get("finished_at") or None,
		"error": (raw.get("error") or None) and redact(str(raw["error"]))[:MAX_ERROR],
		**{key: _count(stats, key) for key in COUNTS},
	}
	total = raw.get("total")
	if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
		raise RunError("run.total must be a non-negative integer or null")
	values["total"] = total or 0
	state = raw.get("state")
	if state is not None:
		if not isinstance(state, dict) or set(state) - set(CURSORS):
			raise RunError(f"run.state holds {', '.join(CURSORS)}")
		for key in ("local_cursor", "deleted_cursor"):
			if state.get(key) is not None and not isinstance(state[key], dict):
				raise RunError(f"run.state.{key} must be an object or null")
		if state.get("remote_cursor") is not None and not isinstance(state["remote_cursor"], str):
			raise RunError("run.state.remote_cursor must be a string or null")
	return Run(run_id, values, state)


def summary(values: dict) -> str:
	"""e.g. "Succeeded: 120 seen, 3 created, 5 updated, 1 failed"; zero counts are left out."""
	parts = [f"{values.get('seen', 0)} seen"]
	parts += [f"{values[key]} {key}" for key in COUNTS[1:] if values.get(key)]
	text = f"{values['status']}: {', '.join(parts)}"
	if values.get("error"):
		text += f" ({values['error'][:200]})"
	return text


def progress(values: dict) -> float | None:
	"""0..1 while the total is known, None otherwise (an indeterminate bar)."""
	if values["status"] in FINAL:
		return 1.0
	total = values.get("total") or 0
	return min(1.0, values.get("seen", 0) / total) if total else None
