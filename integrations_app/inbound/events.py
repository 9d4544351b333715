"""Inbound events: receiving them from the sidecar, and running the handlers apps register.

An app registers handlers in its hooks.py (see `integrations_app.inbound.rules.handler_map` for the shape):

    integration_inbound_handlers = {"stripe": {"payment_intent.succeeded": "my_app.pay.on_paid"}}

A handler is called as `handler(event, payload)`: `event` is the Integration Inbound Event
document, `payload` the parsed JSON body (or the raw string when the body is not JSON). One
background job processes the events that arrived (everything Received: one forwarded batch, or
several when they come faster than the worker starts jobs), oldest first, in transactions of
`CHUNK` events with a savepoint per event: raising marks that event Failed with the traceback
and rolls back what its handlers wrote; the others go on. Handlers must not commit.

A site can add handlers in its site_config.json under the same key (merged after the apps'
hooks), e.g. for a benchmark or a site-specific script: no code change in any app.
"""

import contextlib
import json
import time

import frappe
import redis
from frappe.utils import add_to_date, now, now_datetime

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
# (Claiming an event for processing sets `modified`, so a long queue ahead of it does not count.)
STALLED_AFTER_MINUTES = 10
REQUEUE_BATCH = 500
PENDING_STATUSES = ("Received", "Processing")
PROCESS_JOB = "integrations_app.inbound.events.process_received_events"
JOB_ID_PREFIX = "integrations_inbound_"
STALLED_JOB_ID = "integrations_inbound_stalled"
# Set while a processing job is queued and not yet started (see enqueue_processing). Expires in
# case the job is lost before it starts; requeue_stalled does not depend on it.
JOB_WAITING_KEY = "integrations_app:inbound_job_waiting"
JOB_WAITING_TTL_S = 600
CHUNK = 200  # events per transaction
JOB_TIME_BUDGET_S = 240  # below the default queue's 300 s timeout
_REQUIRED = ("sidecar_id", "slug", "provider")


def get_handler_map() -> dict[str, dict[str, list[str]]]:
	return normalize_handler_map([frappe.get_hooks(HOOK) or {}, frappe.conf.get(HOOK) or {}])


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
	"""Store new events (idempotent on endpoint + provider_event_id) and queue one job that
	processes all the new ones.

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
	new = []
	for event in events:
		key = (event["endpoint"], event["provider_event_id"])
		if event["endpoint"] not in known:
			result["rejected"].append(
				{"sidecar_id": event["sidecar_id"], "code": "endpoint_not_found", "message": f"No Integration Inbound Endpoint {event['endpoint']!r}"}
			)
		elif key in seen:
			result["duplicates"].append(event["sidecar_id"])
		else:
			new.append(event)
		seen.add(key)
	ours = insert_events(new)
	for event in new:
		mine = ours.get((event["endpoint"], event["provider_event_id"]))
		if mine is not None:  # None: not stored (a name clash); unconfirmed, the sidecar sends it again
			result["accepted" if mine else "duplicates"].append(event["sidecar_id"])
	if any(ours.values()):
		enqueue_processing()
	return result


_INSERT_COLUMNS = (
	"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx",
	"endpoint", "provider", "provider_event_id", "event_type", "received_at", "payload", "headers", "status", "attempts",
)  # fmt: skip


def insert_events(events: list[dict]) -> dict[tuple[str, str], bool]:
	"""Insert validated events, all in one statement (a round trip per row would cost more than
	the rows). → {(endpoint, provider_event_id): True if this call stored it, False if another
	request did first}; an event missing from the answer was not stored (its random name was taken).
	"""
	if not events:
		return {}
	timestamp, user = now(), frappe.session.user
	names, values = {}, []
	for event in events:
		name = names[(event["endpoint"], event["provider_event_id"])] = frappe.generate_hash(length=10)
		values += (name, timestamp, timestamp, user, user, 0, 0, event["endpoint"], event["provider"], event["provider_event_id"],
			event["event_type"], event["received_at"], event["payload"], event["headers"], "Received", 0)  # fmt: skip
	row = "(" + ", ".join(["%s"] * len(_INSERT_COLUMNS)) + ")"
	# A row a concurrent request stored first (unique endpoint + provider_event_id) is left as it
	# is: a no-op update instead of an error for the whole batch. Any other error still raises.
	frappe.db.sql(
		f"""insert into `tab{INBOUND_EVENT}` ({", ".join(f"`{c}`" for c in _INSERT_COLUMNS)})
		values {", ".join([row] * len(events))} on duplicate key update `name` = `name`""",
		tuple(values),
	)
	stored = frappe.db.sql(
		f"select endpoint, provider_event_id, name from `tab{INBOUND_EVENT}` where endpoint in %s and provider_event_id in %s",
		(tuple({e["endpoint"] for e in events}), tuple({e["provider_event_id"] for e in events})),
	)
	return {(endpoint, pid): names[(endpoint, pid)] == name for endpoint, pid, name in stored if (endpoint, pid) in names}


def enqueue_processing() -> None:
	"""Once the caller's transaction commits, make sure a processing job will run: queue one
	unless one is already waiting that has not started (it will take these events too). So a
	burst of forwarded batches costs one or two jobs, not one per batch (a job costs a worker
	fork and a site init, over a second on bench's default worker)."""
	frappe.db.after_commit.add(_wake_processor)


def _wake_processor() -> None:
	key = frappe.cache.make_key(JOB_WAITING_KEY)
	try:
		waiting = not frappe.cache.set(key, 1, nx=True, ex=JOB_WAITING_TTL_S)
	except redis.exceptions.RedisError:
		waiting = False  # without the cache's Redis the flag cannot save jobs: queue one anyway
	if waiting:
		return  # that job claims everything Received when it starts
	try:
		frappe.enqueue(PROCESS_JOB, queue="default", job_id=f"{JOB_ID_PREFIX}{frappe.generate_hash(length=10)}")
	except redis.exceptions.RedisError:
		with contextlib.suppress(redis.exceptions.RedisError):
			frappe.cache.delete(key)
		# the events are committed: requeue_stalled queues their job within STALLED_AFTER_MINUTES
		frappe.log_error(title="Integrations: could not queue inbound event processing")


# --- processing (background job)


class TransactionLost(Exception):
	"""A handler's error ended the whole transaction (a deadlock does): the chunk's savepoints
	and every write since the last commit are gone."""


def _parse_payload(raw: str):
	try:
		return json.loads(raw)
	except (TypeError, ValueError):
		return raw


def process_received_events(time_budget_s: float = JOB_TIME_BUDGET_S) -> dict[str, int]:
	"""Background job: process every Received event, oldest first, `CHUNK` per transaction, until
	none is left (or the time budget is spent: then a successor is queued). → counts per status."""
	frappe.cache.delete(frappe.cache.make_key(JOB_WAITING_KEY))  # from now on a new arrival queues a new job
	deadline = time.monotonic() + time_budget_s
	counts: dict[str, int] = {}
	handler_map = get_handler_map()
	while chunk := claim(CHUNK):
		frappe.db.commit()  # the claim: people see Processing, other workers skip these
		for status in process_claimed(chunk, handler_map).values():
			counts[status] = counts.get(status, 0) + 1
		frappe.db.commit()
		if time.monotonic() > deadline:
			enqueue_processing()
			frappe.db.commit()
			break
	return counts


def claim(limit: int) -> list:
	"""Lock up to `limit` Received events (oldest first), mark them Processing (one more
	attempt) and return their documents. Not committed: the caller commits."""
	names = [
		row[0]
		for row in frappe.db.sql(
			f"""select name from `tab{INBOUND_EVENT}` where status = 'Received'
			order by creation asc limit %s for update""",
			(limit,),
		)
	]
	if not names:
		return []
	frappe.db.sql(
		f"""update `tab{INBOUND_EVENT}` set status = 'Processing', attempts = attempts + 1, error = null,
		modified = %s where name in %s""",
		(now(), tuple(names)),
	)
	docs = {
		row.name: frappe.get_doc({"doctype": INBOUND_EVENT, **row})
		for row in frappe.get_all(INBOUND_EVENT, filters={"name": ("in", names)}, fields=["*"])
	}
	return [docs[name] for name in names if name in docs]


def process_claimed(docs: list, handler_map: dict | None = None, commit: bool = True) -> dict[str, str]:
	"""Run the handlers of claimed events in one transaction, a savepoint per event, and record
	each outcome; → {name: status}. Not committed. If a handler's error ends the transaction
	itself (deadlock), everything since the claim is rolled back and the events run again one
	per transaction (with `commit`), so only that event is marked Failed."""
	handler_map = get_handler_map() if handler_map is None else handler_map
	try:
		return _run(docs, handler_map)
	except TransactionLost:
		if not commit:
			raise
		frappe.db.rollback()
		statuses = {}
		for doc in docs:
			statuses.update(_run([doc], handler_map, lost_transaction_is_failure=True))
			frappe.db.commit()
		return statuses


def _run(docs: list, handler_map: dict, lost_transaction_is_failure: bool = False) -> dict[str, str]:
	statuses: dict[str, str] = {}
	errors: dict[str, str] = {}
	for doc in docs:
		paths = resolve_handlers(handler_map, doc.provider, doc.event_type or "")
		if not paths:
			statuses[doc.name] = "No Handler"
			continue
		frappe.db.savepoint(SAVEPOINT)  # replaces the previous event's savepoint of the same name
		try:
			payload = _parse_payload(doc.payload)
			for path in paths:
				frappe.get_attr(path)(doc, payload)
		except Exception as e:
			error = frappe.get_traceback()
			if frappe.db.is_deadlocked(e):  # the server rolled back the whole transaction
				if not lost_transaction_is_failure:
					raise TransactionLost() from e
				frappe.db.rollback()
			else:
				frappe.db.rollback(save_point=SAVEPOINT)
			statuses[doc.name], errors[doc.name] = "Failed", error
		else:
			statuses[doc.name] = "Processed"
	_record(statuses, errors)
	return statuses


def _record(statuses: dict[str, str], errors: dict[str, str]) -> None:
	"""One update per outcome, and one per failed event (each has its own traceback)."""
	timestamp = now()
	for status in ("Processed", "No Handler"):
		if names := tuple(n for n, s in statuses.items() if s == status):
			frappe.db.sql(
				f"""update `tab{INBOUND_EVENT}` set status = %s, processed_at = %s, modified = %s
				where name in %s""",
				(status, timestamp, timestamp, names),
			)
	for name, error in errors.items():
		frappe.db.sql(
			f"""update `tab{INBOUND_EVENT}` set status = 'Failed', error = %s, processed_at = null,
			modified = %s where name = %s""",
			(error, timestamp, name),
		)


def requeue_stalled() -> int:
	"""Every minute: events whose job never ran to the end (Redis queue down at commit, worker
	killed, job timeout) go back to Received and a processing job is queued for them (never a
	second one while that one waits or runs), so every accepted event gets its handlers run at
	least once. Returns how many events were stalled."""
	cutoff = add_to_date(now_datetime(), minutes=-STALLED_AFTER_MINUTES)
	names = frappe.get_all(
		INBOUND_EVENT,
		filters={"status": ("in", PENDING_STATUSES), "modified": ("<", cutoff)},
		pluck="name",
		order_by="creation asc",
		limit=REQUEUE_BATCH,
	)
	if names:
		frappe.db.sql(
			f"update `tab{INBOUND_EVENT}` set status = 'Received' where name in %s and status = 'Processing'",
			(tuple(names),),
		)
		# not through the waiting flag: the flag may be what was lost
		frappe.enqueue(PROCESS_JOB, queue="default", job_id=STALLED_JOB_ID, deduplicate=True, enqueue_after_commit=True)
	return len(names)


def replay(event: str) -> None:
	"""Run an event's handlers again (after a fix, or to re-run a Failed one)."""
	frappe.db.set_value(INBOUND_EVENT, event, {"status": "Received", "error": None})
	enqueue_processing()
