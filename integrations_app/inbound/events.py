"""Inbound events: receiving them from the sidecar, and running the handlers apps register.

An app registers handlers in its hooks.py (see `integrations_app.inbound.rules.handler_map` for the shape):

    integration_inbound_handlers = {"stripe": {"payment_intent.succeeded": "my_app.pay.on_paid"}}

A handler is called as `handler(event, payload)`: `event` is the Integration Inbound Event
document, `payload` the parsed JSON body (or the raw string when the body is not JSON). It
runs in a background job; raising marks the event Failed with the traceback and rolls back
what the handlers wrote. Handlers must not commit: an event is processed as one unit.
"""

import json

import frappe
from frappe.utils import add_to_date, cint, now, now_datetime

from integrations_app.inbound.rules.handler_map import normalize_handler_map, resolve_handlers
from integrations_app.sitetime import from_iso

INBOUND_EVENT = "Integration Inbound Event"
INBOUND_ENDPOINT = "Integration Inbound Endpoint"
HOOK = "integration_inbound_handlers"
MAX_EVENTS = 1000
MAX_ID_LENGTH = 255  # the DocType's field length, and the sidecar's limit (receive.ts)
SAVEPOINT = "integrations_inbound_handlers"
# An event still Received or Processing this long after its last change lost its job (Redis
# queue down at commit, worker killed, job timeout): `requeue_stalled` queues it again.
STALLED_AFTER_MINUTES = 10
REQUEUE_BATCH = 500
PENDING_STATUSES = ("Received", "Processing")
_REQUIRED = ("sidecar_id", "slug", "provider")


def get_handler_map() -> dict[str, dict[str, list[str]]]:
	return normalize_handler_map(frappe.get_hooks(HOOK) or {})


# --- receiving (called by integrations_app.api.sidecar.receive_inbound_events)


def _validate_event(raw) -> dict:
	if not isinstance(raw, dict):
		raise ValueError("event must be an object")
	for key in _REQUIRED:
		if not isinstance(raw.get(key), str) or not raw[key]:
			raise ValueError(f"{key} is required")
	payload = raw.get("payload")
	if payload is not None and not isinstance(payload, str):
		raise ValueError("payload must be the raw body as a string")
	headers = raw.get("headers") or {}
	if not isinstance(headers, dict):
		raise ValueError("headers must be an object")
	try:
		received_at = from_iso(raw.get("received_at")) or frappe.utils.now_datetime()
	except ValueError as e:
		raise ValueError(f"received_at: {e}") from None
	# Without a provider id the sidecar's own id is the only stable key for dedup.
	provider_event_id = str(raw.get("provider_event_id") or raw["sidecar_id"])
	event_type = str(raw.get("event_type") or "")
	# Never cut them short: two ids sharing a prefix would dedup as one event (one lost), and a
	# cut type would miss its handler. The sidecar refuses longer ones, so this is a bug report.
	for name, value in (("provider_event_id", provider_event_id), ("event_type", event_type)):
		if len(value) > MAX_ID_LENGTH:
			raise ValueError(f"{name} is longer than {MAX_ID_LENGTH} characters")
	return {
		"sidecar_id": raw["sidecar_id"],
		"endpoint": raw["slug"],
		"provider": raw["provider"],
		"provider_event_id": provider_event_id,
		"event_type": event_type,
		"received_at": received_at,
		"payload": payload or "",
		"headers": json.dumps(headers, indent=1, sort_keys=True),
	}


def receive_events(raw_events: list) -> dict:
	"""Store new events (idempotent on endpoint + provider_event_id) and queue their processing.

	→ {accepted:[sidecar_id], duplicates:[sidecar_id], rejected:[{sidecar_id, code, message}]}
	"""
	if not isinstance(raw_events, list):
		frappe.throw("events must be a list", frappe.ValidationError)
	if len(raw_events) > MAX_EVENTS:
		frappe.throw(f"At most {MAX_EVENTS} events per call", frappe.ValidationError)

	result = {"accepted": [], "duplicates": [], "rejected": []}
	events = []
	for raw in raw_events:
		try:
			events.append(_validate_event(raw))
		except ValueError as e:
			sidecar_id = raw.get("sidecar_id") if isinstance(raw, dict) else None
			if isinstance(sidecar_id, str) and sidecar_id:  # without an id there is nobody to tell
				result["rejected"].append({"sidecar_id": sidecar_id, "code": "invalid", "message": str(e)})
	if not events:
		return result

	slugs = list({e["endpoint"] for e in events})
	known = set(frappe.get_all(INBOUND_ENDPOINT, filters={"name": ("in", slugs)}, pluck="name"))
	seen = {
		(row.endpoint, row.provider_event_id)
		for row in frappe.get_all(
			INBOUND_EVENT,
			filters={"endpoint": ("in", slugs), "provider_event_id": ("in", list({e["provider_event_id"] for e in events}))},
			fields=["endpoint", "provider_event_id"],
		)
	}
	for event in events:
		key = (event["endpoint"], event["provider_event_id"])
		if event["endpoint"] not in known:
			result["rejected"].append(
				{"sidecar_id": event["sidecar_id"], "code": "endpoint_not_found", "message": f"No Integration Inbound Endpoint {event['endpoint']!r}"}
			)
		elif key in seen or not _insert_event(event):
			result["duplicates"].append(event["sidecar_id"])
		else:
			result["accepted"].append(event["sidecar_id"])
		seen.add(key)
	return result


def _insert_event(event: dict) -> bool:
	"""Insert one event; False when a concurrent request stored the same one first."""
	doc = frappe.get_doc(
		{
			"doctype": INBOUND_EVENT,
			**{k: v for k, v in event.items() if k != "sidecar_id"},
			"status": "Received",
			"attempts": 0,
		}
	)
	log_length = len(frappe.local.message_log)
	frappe.db.savepoint("integrations_inbound_insert")
	try:
		doc.db_insert()
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		frappe.db.rollback(save_point="integrations_inbound_insert")
		del frappe.local.message_log[log_length:]  # db_insert queued a "duplicate" message
		return False
	enqueue_processing(doc.name)
	return True


def enqueue_processing(event: str) -> None:
	# `event` is one of frappe.enqueue's own parameters (it would never reach the job), so the
	# job takes the name as `inbound_event`.
	frappe.enqueue(
		"integrations_app.inbound.events.process_inbound_event",
		queue="default",
		inbound_event=event,
		job_id=f"integrations_inbound_{event}",
		deduplicate=True,
		enqueue_after_commit=True,
	)


# --- processing (background job)


def _parse_payload(raw: str):
	try:
		return json.loads(raw)
	except (TypeError, ValueError):
		return raw


def process_inbound_event(inbound_event: str) -> str:
	"""Background job entry point (see enqueue_processing)."""
	return process_event(inbound_event)


def process_event(event: str, commit: bool = True) -> str:
	"""Run the handlers of one event; returns the final status."""
	doc = frappe.get_doc(INBOUND_EVENT, event)
	if doc.status not in PENDING_STATUSES:
		return doc.status  # a late second job (requeue_stalled raced the first): run handlers once
	doc.db_set({"status": "Processing", "attempts": cint(doc.attempts) + 1, "error": None}, update_modified=False)
	if commit:
		frappe.db.commit()  # let people see it is being worked on

	paths = resolve_handlers(get_handler_map(), doc.provider, doc.event_type or "")
	if not paths:
		doc.db_set({"status": "No Handler", "processed_at": now()})
		return doc.status

	frappe.db.savepoint(SAVEPOINT)
	try:
		payload = _parse_payload(doc.payload)
		for path in paths:
			frappe.get_attr(path)(doc, payload)
	except Exception:
		frappe.db.rollback(save_point=SAVEPOINT)
		doc.db_set({"status": "Failed", "error": frappe.get_traceback(), "processed_at": None})
	else:
		doc.db_set({"status": "Processed", "processed_at": now()})
	if commit:
		frappe.db.commit()
	return doc.status


def requeue_stalled() -> int:
	"""Every minute: queue again the events whose processing job never ran to the end, so every
	accepted event gets its handlers run (at least once). A job still queued or running is not
	duplicated (`enqueue_processing` dedups on the job id). Returns how many were queued."""
	cutoff = add_to_date(now_datetime(), minutes=-STALLED_AFTER_MINUTES)
	names = frappe.get_all(
		INBOUND_EVENT,
		filters={"status": ("in", PENDING_STATUSES), "modified": ("<", cutoff)},
		pluck="name",
		order_by="creation asc",
		limit=REQUEUE_BATCH,
	)
	for name in names:
		enqueue_processing(name)
	return len(names)


def replay(event: str) -> None:
	"""Queue an event's handlers again (after a fix, or to re-run a Failed one)."""
	frappe.db.set_value(INBOUND_EVENT, event, {"status": "Received", "error": None})
	enqueue_processing(event)
