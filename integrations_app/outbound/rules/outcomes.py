"""Rules for delivery outcomes reported by the sidecar (docs/api.md `report_deliveries`).

Outcomes can arrive out of order or twice. Attempts are keyed by their number `n`; the
delivery status only moves forward for the same attempt, a final status (succeeded, failed,
cancelled) never moves back, and only a newer attempt (a replay) reopens a final delivery.
"""

from dataclasses import dataclass
from typing import Any

SIDECAR_STATUSES = ("sending", "succeeded", "retrying", "failed", "cancelled")
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
STATUS_LABELS = {
	"queued": "Queued",
	"sending": "Sending",
	"retrying": "Retrying",
	"succeeded": "Succeeded",
	"failed": "Failed",
	"cancelled": "Cancelled",
}
_RANK = {"queued": 0, "pending": 0, "sending": 1, "retrying": 2, "succeeded": 3, "failed": 3, "cancelled": 3}
ATTEMPT_FIELDS = ("at", "status_code", "duration_ms", "error", "response_body", "request_headers")


@dataclass(frozen=True)
class Outcome:
	message_id: str
	endpoint_id: str | None
	status: str
	attempt: dict[str, Any] | None
	next_attempt_at: str | None

	@property
	def attempt_no(self) -> int | None:
		return self.attempt["n"] if self.attempt else None


def _optional_int(value: Any, name: str) -> int | None:
	if value is None:
		return None
	if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
		raise ValueError(f"{name} must be an integer or null")
	return int(value)


def _optional_str(value: Any, name: str) -> str | None:
	if value is None:
		return None
	if not isinstance(value, str):
		raise ValueError(f"{name} must be a string or null")
	return value


def parse_outcome(raw: Any) -> Outcome:
	"""Validate one Outcome object; ValueError says which part is wrong."""
	if not isinstance(raw, dict):
		raise ValueError("outcome must be an object")
	message_id = raw.get("message_id")
	if not isinstance(message_id, str) or not message_id:
		raise ValueError("message_id is required")
	status = raw.get("status")
	if status not in SIDECAR_STATUSES:
		raise ValueError(f"status must be one of {', '.join(SIDECAR_STATUSES)}")
	attempt = raw.get("attempt")
	if attempt is not None:
		if not isinstance(attempt, dict):
			raise ValueError("attempt must be an object or null")
		n = _optional_int(attempt.get("n"), "attempt.n")
		if n is None or n < 1:
			raise ValueError("attempt.n must be a positive integer")
		headers = attempt.get("request_headers")
		if headers is not None and not isinstance(headers, dict | str):
			raise ValueError("attempt.request_headers must be an object")
		attempt = {
			"n": n,
			"at": _optional_str(attempt.get("at"), "attempt.at"),
			"status_code": _optional_int(attempt.get("status_code"), "attempt.status_code"),
			"duration_ms": _optional_int(attempt.get("duration_ms"), "attempt.duration_ms"),
			"error": _optional_str(attempt.get("error"), "attempt.error"),
			"response_body": _optional_str(attempt.get("response_body"), "attempt.response_body"),
			"request_headers": headers,
		}
	return Outcome(
		message_id=message_id,
		endpoint_id=_optional_str(raw.get("endpoint_id"), "endpoint_id"),
		status=status,
		attempt=attempt,
		next_attempt_at=_optional_str(raw.get("next_attempt_at"), "next_attempt_at"),
	)


def should_apply_status(current_status: str, current_attempt_no: int, new_status: str, attempt_no: int | None) -> bool:
	"""Whether an outcome may change the delivery's status.

	`current_status` may be a label ("Retrying") or a sidecar status; `attempt_no` None means
	the outcome concerns the latest attempt (e.g. a cancel without an attempt).
	"""
	current = current_status.lower()
	n = current_attempt_no if attempt_no is None else attempt_no
	if n > current_attempt_no:
		return True  # a newer attempt; a replay reopens a final delivery this way
	if n < current_attempt_no:
		return False  # stale report of an older attempt
	if current in FINAL_STATUSES:
		return False  # final is sticky for the same attempt
	return _RANK[new_status] >= _RANK.get(current, 0)


def merge_attempt(existing: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
	"""A repeated report of the same attempt fills gaps and never blanks known values."""
	merged = dict(existing or {})
	for key in ("n", *ATTEMPT_FIELDS):
		value = new.get(key)
		if value is not None:
			merged[key] = value
		else:
			merged.setdefault(key, None)
	return merged


def attempt_has_result(attempt: dict[str, Any] | None) -> bool:
	"""An attempt is finished once it has a status code or an error ("sending" has neither)."""
	return bool(attempt) and (attempt.get("status_code") is not None or bool(attempt.get("error")))


def attempt_succeeded(attempt: dict[str, Any]) -> bool:
	code = attempt.get("status_code")
	return code is not None and 200 <= code < 300 and not attempt.get("error")


def fold_health(consecutive_failures: int, results: list[tuple[Any, bool, str | None]]) -> dict[str, Any]:
	"""Fold newly finished attempts `(at, succeeded, error)` into endpoint health figures.

	A success resets the run of failures; only keys that changed are returned.
	"""
	changes: dict[str, Any] = {}
	failures = consecutive_failures
	for at, succeeded, error in sorted(results, key=lambda r: (r[0] is None, r[0])):
		if succeeded:
			failures = 0
			changes["last_success_at"] = at
		else:
			failures += 1
			changes["last_failure_at"] = at
			changes["last_error"] = error
	if results:
		changes["consecutive_failures"] = failures
	return changes
