"""Failed proxied calls, as the sidecar reports them (`report_connection_failures`): one
Integration Connection Call Log row each, for people to read in desk. The sidecar sends only
failures (never successes), at most 30 per connection per minute per process, with the path's
query left out and secrets redacted from the error and the response snippet."""

import frappe
from frappe import _
from frappe.utils import cint, flt, now_datetime

from integrations_app.connections.config import CONNECTION
from integrations_app.sitetime import from_iso, to_iso_utc

CALL_LOG = "Integration Connection Call Log"
MAX_BATCH = 5000
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _text(value, limit: int) -> str | None:
	return str(value)[:limit] if value not in (None, "") else None


def _at(value):
	try:
		return from_iso(value) or now_datetime()
	except ValueError:
		return now_datetime()


def store_failures(failures: list) -> dict:
	"""{failures:[CallFailure]} → {stored, ignored}; a failure of a connection Frappe does not know
	(deleted meanwhile) is ignored."""
	if not isinstance(failures, list) or len(failures) > MAX_BATCH or not all(isinstance(f, dict) for f in failures):
		frappe.throw(_("failures must be a list of at most {0} objects").format(MAX_BATCH), frappe.ValidationError)
	ids = {f.get("connection_id") for f in failures if isinstance(f.get("connection_id"), str)}
	names = dict(frappe.get_all(CONNECTION, filters={"sidecar_id": ("in", list(ids))}, fields=["sidecar_id", "name"], as_list=True)) if ids else {}
	stored = ignored = 0
	for f in failures:
		name = names.get(f.get("connection_id"))
		method = str(f.get("method") or "").upper()
		if not name or method not in METHODS:
			ignored += 1
			continue
		frappe.get_doc(
			{
				"doctype": CALL_LOG,
				"connection": name,
				"at": _at(f.get("at")),
				"method": method,
				"path": _text(f.get("path"), 4096),
				"status_code": cint(f.get("status_code")),  # 0: no answer (the error code says why)
				"error_code": _text(f.get("error_code"), 64),
				"error": _text(f.get("error"), 1000),
				"attempts": cint(f.get("attempts")),
				"duration_ms": flt(f.get("duration_ms"), 2),
				"response_snippet": _text(f.get("response_snippet"), 1000),
			}
		).insert(ignore_permissions=True)
		stored += 1
	return {"stored": stored, "ignored": ignored}


def recent_failures(connections: list[str], limit: int) -> dict[str, list[dict]]:
	"""Each connection's newest failures (UTC ISO times): the SPA's "last failures". One query per
	connection on the (connection, creation) index: a busy connection's history is never scanned."""
	out: dict[str, list[dict]] = {}
	for name in connections:
		rows = frappe.get_all(
			CALL_LOG,
			filters={"connection": name},
			fields=["name", "at", "method", "path", "status_code", "error_code", "error", "attempts", "duration_ms"],
			order_by="creation desc",
			limit_page_length=limit,
		)
		for row in rows:
			row["at"] = to_iso_utc(row["at"]) if row["at"] else None
		out[name] = rows
	return out
