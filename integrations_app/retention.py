"""Retention of the logs: the daily cleanup, and the background purge of a deleted webhook's or
inbound endpoint's log. Both delete in small transactions so none holds many locks for long."""

import time

import frappe
from frappe.utils import add_days, cint, now_datetime

DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
INBOUND_EVENT = "Integration Inbound Event"
SETTINGS = "Integration Settings"

CLEANUP_CHUNK = 1000
PURGE_CHUNK = 500  # a deleted webhook's log: small transactions, the sidecar may still be reporting
DELETE_TRIES = 5


def cleanup() -> None:
	"""Daily: delete Succeeded deliveries and Processed inbound events older than the retention."""
	days = cint(frappe.db.get_single_value(SETTINGS, "retention_days")) or 30
	cutoff = add_days(now_datetime(), -days)
	delete_in_chunks(DELIVERY, {"status": "Succeeded", "creation": ("<", cutoff)}, child=ATTEMPT)
	delete_in_chunks(INBOUND_EVENT, {"status": "Processed", "creation": ("<", cutoff)})


def delete_in_chunks(
	doctype: str, filters: dict, child: str | None = None, commit: bool = True, chunk: int = CLEANUP_CHUNK
) -> int:
	"""Plain SQL deletes (these are logs: no hooks, no Deleted Document copies), `chunk` rows at a
	time; with `commit`, one transaction per chunk (retried on deadlock), so none holds many locks
	for long."""
	deleted = 0
	while names := frappe.get_all(doctype, filters=filters, pluck="name", limit=chunk):
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


# The logs that go with their owner: (log DocType, link field, child table).
_OWNED_LOGS = {
	"Integration Webhook": (DELIVERY, "webhook", ATTEMPT),
	"Integration Inbound Endpoint": (INBOUND_EVENT, "endpoint", None),
}


def schedule_purge(owner_doctype: str, owner: str) -> None:
	"""Once the deletion of a webhook or inbound endpoint commits, delete its log in the
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
	doctype, field, child = _OWNED_LOGS[owner_doctype]
	return delete_in_chunks(doctype, {field: owner}, child=child, chunk=chunk)
