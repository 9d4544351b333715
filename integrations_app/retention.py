"""Retention of the logs: the daily cleanup, and the background purge of a deleted webhook's,
stream's, inbound endpoint's or connection's log. Both delete in small transactions so none holds many locks for long."""

import time

import frappe
from frappe.utils import add_days, cint, now_datetime

DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
INBOUND_EVENT = "Integration Inbound Event"
CALL_LOG = "Integration Connection Call Log"
SETTINGS = "Integration Settings"

CLEANUP_CHUNK = 1000
PURGE_CHUNK = 500  # a deleted webhook's log: small transactions, the sidecar may still be reporting
DELETE_TRIES = 5

# How long each finished status is kept: (status, Integration Settings field, default days).
# Failures are kept longer, to be looked into and replayed. Rows still in flight (Queued,
# Sending, Retrying; Received, Processing) are never deleted by age.
DELIVERY_RETENTION = (
	("Succeeded", "retain_succeeded_days", 30),
	("Failed", "retain_failed_days", 90),
	("Cancelled", "retain_cancelled_days", 90),
)
INBOUND_RETENTION = (
	("Processed", "retain_processed_days", 30),
	("Failed", "retain_inbound_failed_days", 90),
	("No Handler", "retain_no_handler_days", 90),
)
# Failed connection calls have no status of their own: one retention for all of them.
CALL_LOG_RETENTION = ("retain_call_log_days", 30)
RETENTION_DEFAULTS = {field: days for _, field, days in DELIVERY_RETENTION + INBOUND_RETENTION}
RETENTION_DEFAULTS[CALL_LOG_RETENTION[0]] = CALL_LOG_RETENTION[1]


def cleanup() -> dict[str, int]:
	"""Daily: delete finished deliveries and inbound events older than their status's retention,
	and failed connection calls older than theirs.
	→ {"<DocType>: <status>": rows deleted}"""
	deleted = {}
	for status, field, _ in DELIVERY_RETENTION:
		# `acked in (0, 1)` names every value, so the (status, acked, creation) index ranges on
		# creation too; without it each chunk would walk all the status's rows.
		deleted[f"{DELIVERY}: {status}"] = delete_in_chunks(
			DELIVERY, "status = %s and acked in (0, 1) and creation < %s", (status, retention_cutoff(field)), child=ATTEMPT
		)
	for status, field, _ in INBOUND_RETENTION:  # the (status, creation) index
		deleted[f"{INBOUND_EVENT}: {status}"] = delete_in_chunks(
			INBOUND_EVENT, "status = %s and creation < %s", (status, retention_cutoff(field))
		)
	deleted[CALL_LOG] = delete_in_chunks(CALL_LOG, "creation < %s", (retention_cutoff(CALL_LOG_RETENTION[0]),))  # the creation index
	return deleted


def retention_cutoff(field: str):
	days = cint(frappe.db.get_single_value(SETTINGS, field)) or RETENTION_DEFAULTS[field]
	return add_days(now_datetime(), -days)


def delete_in_chunks(
	doctype: str, where: str, values: tuple, child: str | None = None, commit: bool = True, chunk: int | None = None
) -> int:
	"""Plain SQL deletes of the rows matching `where` (these are logs: no hooks, no Deleted
	Document copies), `chunk` rows at a time; with `commit`, one transaction per chunk (retried
	on deadlock), so none holds many locks for long. No ORDER BY: the chunk is read straight off
	the index `where` ranges on."""
	deleted = 0
	query = f"select name from `tab{doctype}` where {where} limit %s"
	while names := [row[0] for row in frappe.db.sql(query, (*values, chunk or CLEANUP_CHUNK))]:
		_delete_chunk(doctype, tuple(names), child, commit)
		deleted += len(names)
	return deleted


def _delete_chunk(doctype: str, names: tuple, child: str | None, commit: bool) -> None:
	"""Locks are taken in report_deliveries' order (the parent rows, then their attempts), so the
	two cannot deadlock each other; with `commit`, a deadlock with anything else is retried."""
	for attempt in range(DELETE_TRIES if commit else 1):
		try:
			frappe.db.sql(f"select name from `tab{doctype}` where name in %s for update", (names,))
			if child:
				frappe.db.sql(f"delete from `tab{child}` where parenttype = %s and parent in %s", (doctype, names))
			frappe.db.sql(f"delete from `tab{doctype}` where name in %s", (names,))
			if commit:
				frappe.db.commit()
			return
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			if not commit:
				raise
			frappe.db.rollback()
			if attempt == DELETE_TRIES - 1:
				raise
			time.sleep(0.2 * (attempt + 1))


# The logs that go with their owner: [(log DocType, link field, child table)].
_OWNED_LOGS = {
	"Integration Webhook": [(DELIVERY, "webhook", ATTEMPT)],
	"Integration Inbound Endpoint": [(INBOUND_EVENT, "endpoint", None)],
	"Integration Connection": [(CALL_LOG, "connection", None)],
	"Integration Stream": [(DELIVERY, "stream", ATTEMPT)],
	"Integration Sync Profile": [
		("Integration Sync Log", "profile", None),
		("Integration Sync Run", "profile", None),
		(DELIVERY, "sync_profile", ATTEMPT),
	],
}


def schedule_purge(owner_doctype: str, owner: str) -> None:
	"""Once the deletion of a webhook, inbound endpoint, connection, stream or sync profile commits, delete its log in the
	background (`purge_log`) — never in the user's transaction, where thousands of row deletes
	would hold locks the sidecar's reports and forwards need."""
	frappe.enqueue(
		"integrations_app.retention.purge_log",
		queue="long",
		enqueue_after_commit=True,
		job_id=f"integrations_app:purge_log:{owner_doctype}:{owner}",
		deduplicate=True,
		owner_doctype=owner_doctype,
		owner=owner,
	)


def purge_log(owner_doctype: str, owner: str, chunk: int = PURGE_CHUNK) -> int:
	"""Background job: delete a deleted owner's log rows, `chunk` per transaction. Does nothing
	if the owner exists again (restored from Deleted Document)."""
	if frappe.db.exists(owner_doctype, owner):
		return 0
	return sum(
		delete_in_chunks(doctype, f"`{field}` = %s", (owner,), child=child, chunk=chunk)
		for doctype, field, child in _OWNED_LOGS[owner_doctype]
	)
