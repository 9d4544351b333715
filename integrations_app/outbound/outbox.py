"""Outbox rows (Integration Webhook Delivery) and their hand-off to the sidecar.

- `insert_deliveries`: one parameterised multi-row INSERT, inside the document's transaction.
- `schedule_push_rows`: after commit, the rows a save just wrote go from memory onto the site's
  `redis_queue` (`sidecar.handoff`, one XADD): the user's request never waits on the sidecar.
  The sidecar acknowledges them later in batches (`acknowledge`, via
  `api.sidecar.acknowledge_messages`).
- `schedule_push` / `push_rows`: the HTTP path, one POST /v1/messages per ≤1,000 rows, then one
  UPDATE marks them pushed (and `acked` where the sidecar accepted them or already had them):
  used by the jobs below and by replay.
- `repush_unacked` (every minute), `reconcile` (hourly): the jobs that make "nothing is lost"
  true when a hand-off is lost or the sidecar loses its Redis. Retention lives in `retention.py`.
Retries of the HTTP deliveries themselves live in the sidecar, never here.

A row is for a webhook (`webhook`, sent as `endpoint_id`), a stream (`stream`, sent as
`stream_id`) or a real-time sync profile (`sync_profile`, sent as `sync_profile_id`,
docs/sync.md §5), exactly one. A stream's or sync profile's row is done once the sidecar has
taken it (appended to the stream; queued as a changes job): its acknowledgement marks it
Succeeded. The synced record's own outcome is in its Integration Sync Log row.
"""

import json
from functools import partial

import frappe
from frappe.utils import add_to_date, now, now_datetime

from integrations_app.outbound.escape_once import escaper
from integrations_app.outbound.rules.naming import new_message_id
from integrations_app.outbound.rules.outcomes import FINAL_STATUSES, STATUS_LABELS
from integrations_app.sidecar import config_sync as endpoints
from integrations_app.sidecar import handoff
from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarUnavailable
from integrations_app.sitetime import to_iso_utc

DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
SETTINGS = "Integration Settings"
WEBHOOK = "Integration Webhook"
STREAM = "Integration Stream"
SYNC_PROFILE = "Integration Sync Profile"
# The sidecar's answer for a message whose endpoint, stream or sync profile it does not have (yet).
NOT_FOUND_CODES = ("endpoint_not_found", "stream_not_found", "sync_profile_not_found")
# (target DocType, outbox column) for every kind of row.
TARGETS = ((WEBHOOK, "webhook"), (STREAM, "stream"), (SYNC_PROFILE, "sync_profile"))

MAX_MESSAGES_PER_CALL = 1000  # sidecar limit (docs/api.md)
REPUSH_BATCH = 500
REPUSH_MAX_BATCHES = 20  # ≤10,000 rows a minute; the rest waits for the next run
UNACKED_GRACE_S = 30  # leave fresh rows to their own after-commit push
# The after-commit HTTP push (replay) runs inside the user's request: keep it short.
AFTER_COMMIT_TIMEOUTS = {"connect_timeout": 1.0, "read_timeout": 3.0}
IN_FLIGHT = ("Queued", "Sending", "Retrying")

# Columns every Frappe row has, first in the column list of the attempts' bulk insert (reports.py).
STANDARD_COLUMNS = ("name", "creation", "modified", "owner", "modified_by", "docstatus", "idx")

# What a new row sets; docstatus, idx, acked, push_attempts and attempts_count keep the column
# default (0), so they are not sent.
_INSERT_FIELDS = (
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"webhook",
	"stream",
	"sync_profile",
	"event_type",
	"reference_doctype",
	"reference_name",
	"payload",
	"status",
	"last_error",
)


_INSERT_SQL = "insert into `tab{}` ({}) values ".format(DELIVERY, ", ".join(f"`{f}`" for f in _INSERT_FIELDS))
_ROW_SQL = "({})".format(", ".join(["%s"] * len(_INSERT_FIELDS)))
INSERT_CHUNK = 200  # rows per statement: far below max_allowed_packet for typical payloads


def insert_deliveries(rows: list[dict]) -> list[str]:
	"""Insert rows (dicts with webhook, stream or sync_profile, event_type, reference_*, payload, status, last_error).

	Names (message ids) are assigned here, in row order, so they sort like the events did. One
	parameterised INSERT per ≤200 rows: the payloads travel as parameters, so no query builder
	renders them into SQL text and no regex scans them (`frappe.db.bulk_insert` does both); each
	distinct value is escaped once (`escape_once`).
	"""
	if not rows:
		return []
	timestamp, user = now(), frappe.session.user
	escape = escaper()
	values = []
	for row in rows:
		row["name"] = new_message_id()
		row["creation"] = timestamp
		values += map(
			escape,
			(
				row["name"],
				timestamp,
				timestamp,
				user,
				user,
				row.get("webhook"),
				row.get("stream"),
				row.get("sync_profile"),
				row["event_type"],
				row.get("reference_doctype"),
				row.get("reference_name"),
				row["payload"],
				row.get("status") or "Queued",
				row.get("last_error"),
			),
		)
	width = len(_INSERT_FIELDS)
	for start in range(0, len(rows), INSERT_CHUNK):
		count = min(INSERT_CHUNK, len(rows) - start)
		chunk = values[start * width : (start + count) * width]
		frappe.db.sql(_INSERT_SQL + ", ".join([_ROW_SQL] * count), chunk)
	return [row["name"] for row in rows]


def schedule_push(names: list[str]) -> None:
	"""Push these rows once the current transaction has committed (they are read back then)."""
	if names:
		frappe.db.after_commit.add(partial(_push_after_commit, names=list(names)))


def schedule_push_rows(rows: list[dict]) -> None:
	"""Hand rows just written by `insert_deliveries` to the sidecar once the transaction has
	committed, from memory: dicts with name, webhook or stream, event_type, payload (JSON text), creation.
	A rollback drops them with the rows."""
	handoff.schedule(rows)


def _push_after_commit(names: list[str]) -> None:
	# Runs after the user's data is committed: nothing here may raise into their request.
	# Whatever is not acknowledged here is re-pushed by `repush_unacked` (every minute).
	try:
		client = SidecarClient.from_settings(**AFTER_COMMIT_TIMEOUTS)
		push_deliveries(names, client=client, commit=True)
	except SidecarError as e:
		frappe.logger("integrations_app").info(f"outbox push deferred to the minutely job: {e}")
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title="Integration Webhook: push after commit failed")


def _messages(rows: list) -> list[dict]:
	stamps: dict = {}  # rows written together share one creation time: convert it once
	messages = []
	for row in rows:
		creation = row["creation"]
		if creation not in stamps:
			stamps[creation] = to_iso_utc(creation)
		message = {"id": row["name"]}
		if row.get("stream"):
			message["stream_id"] = row["stream"]
		elif row.get("sync_profile"):
			message["sync_profile_id"] = row["sync_profile"]
		else:
			message["endpoint_id"] = row["webhook"]
		message.update(
			event_type=row["event_type"], payload=json.loads(row["payload"] or "{}"), timestamp=stamps[creation]
		)
		messages.append(message)
	return messages


def push_deliveries(names: list[str], *, client: SidecarClient, commit: bool = False) -> dict:
	"""Read the Queued rows among `names` and push them (`push_rows`)."""
	rows = frappe.get_all(
		DELIVERY,
		filters={"name": ("in", names), "status": "Queued"},
		fields=["name", "webhook", "stream", "sync_profile", "event_type", "payload", "creation"],
		order_by="creation asc, name asc",
	)
	return push_rows(rows, client=client, commit=commit)


def push_rows(rows: list, *, client: SidecarClient, commit: bool = False) -> dict:
	"""POST the rows to the sidecar; mark them pushed, and accepted and duplicate ones acked.

	Returns {"acked": [ids], "rejected": [{id, code, message}]}. Stops at the first transport
	error (SidecarError propagates after what was already acknowledged is saved).
	"""
	result = {"acked": [], "rejected": []}
	try:
		for start in range(0, len(rows), MAX_MESSAGES_PER_CALL):
			chunk = rows[start : start + MAX_MESSAGES_PER_CALL]
			answer = client.post_messages(_messages(chunk))
			acked = list(answer.get("accepted") or []) + list(answer.get("duplicates") or [])
			rejected = [r for r in answer.get("rejected") or [] if isinstance(r, dict) and r.get("id")]
			_mark_pushed([row["name"] for row in chunk], acked)
			_handle_rejected(rejected, {row["name"]: _target(row) for row in chunk})
			result["acked"].extend(acked)
			result["rejected"].extend(rejected)
	finally:
		if commit:
			frappe.db.commit()
	return result


def acknowledge(accepted: list[str], rejected: list[dict]) -> dict:
	"""The sidecar's answer to a hand-off (docs/api.md `acknowledge_messages`): accepted and
	duplicate ids are marked pushed and acked, rejected ones handled as a POST's rejections are.
	Repeats are harmless; ids of rows that no longer exist match nothing."""
	for start in range(0, len(accepted), MAX_MESSAGES_PER_CALL):
		chunk = accepted[start : start + MAX_MESSAGES_PER_CALL]
		_mark_pushed(chunk, chunk)
	refused = []
	if rejected:
		target_of = _targets([r["id"] for r in rejected])
		refused = [r for r in rejected if r["id"] in target_of]
		if refused:
			_mark_pushed([r["id"] for r in refused], [])
			_handle_rejected(refused, target_of)
	return {"acked": len(accepted), "rejected": len(refused)}


def _target(row) -> tuple[str, str]:
	"""(DocType, name) of what a row is for: its stream, sync profile, or webhook."""
	if row.get("stream"):
		return (STREAM, row["stream"])
	if row.get("sync_profile"):
		return (SYNC_PROFILE, row["sync_profile"])
	return (WEBHOOK, row["webhook"])


def _targets(names: list[str]) -> dict[str, tuple[str, str]]:
	rows = frappe.get_all(DELIVERY, filters={"name": ("in", names)}, fields=["name", "webhook", "stream", "sync_profile"])
	return {row.name: _target(row) for row in rows}


def _mark_pushed(pushed: list[str], acked: list[str]) -> None:
	"""One UPDATE: every pushed row gets push_attempts + 1 and pushed_at, acked ones acked = 1.

	A stream's row is done once the sidecar has it (appended to the stream: its only outcome),
	and so is a sync profile's (queued as a changes job), so such an acked row still Queued
	becomes Succeeded in the same statement; webhook rows keep their status. `acked_sql` gives the same value whether it reads the
	old or the new `acked`, so the order MariaDB applies the assignments in does not matter."""
	acked_here = set(acked) & set(pushed)
	timestamp = now()
	if len(acked_here) == len(pushed):  # the usual answer: all accepted
		acked_sql, acked_values = "1", ()
	elif acked_here:
		acked_sql, acked_values = "case when name in %s then 1 else acked end", (tuple(acked_here),)
	else:
		acked_sql, acked_values = "acked", ()
	done = f"(stream is not null or sync_profile is not null) and status = 'Queued' and ({acked_sql}) = 1"
	frappe.db.sql(
		f"""update `tab{DELIVERY}` set push_attempts = push_attempts + 1, pushed_at = %s, acked = {acked_sql},
		completed_at = case when {done} then %s else completed_at end,
		status = case when {done} then 'Succeeded' else status end
		where name in %s""",
		(timestamp, *acked_values, *acked_values, timestamp, *acked_values, tuple(pushed)),
	)


def _handle_rejected(rejected: list[dict], target_of: dict[str, tuple[str, str]]) -> None:
	"""endpoint_not_found / stream_not_found: the endpoint (stream) is re-synced and the row
	re-pushed later; anything else will never be accepted, so the row is closed as Failed with
	the sidecar's reason."""
	for item in rejected:
		if item.get("code") in NOT_FOUND_CODES:
			target = target_of.get(item["id"])
			if target and target[1]:
				frappe.db.set_value(*target, "sidecar_synced", 0, update_modified=False)
			continue
		frappe.db.set_value(
			DELIVERY,
			item["id"],
			{
				"status": "Failed",
				"completed_at": now(),
				"last_error": f"Sidecar rejected the message: {item.get('code')}: {item.get('message')}",
			},
		)


def repush_unacked() -> None:
	"""Every minute: sync endpoints the sidecar is missing, then re-push rows it never acknowledged."""
	try:
		client = SidecarClient.from_settings()
		endpoints.sync_pending(client)
	except SidecarUnavailable:
		return  # nothing can be pushed either; try again next minute
	except SidecarError as e:
		frappe.logger("integrations_app").warning(f"endpoint sync skipped: {e}")
		return

	cutoff = add_to_date(now_datetime(), seconds=-UNACKED_GRACE_S)
	unsyncable: set[tuple[str, str]] = set()
	for _ in range(REPUSH_MAX_BATCHES):
		filters = {"acked": 0, "status": "Queued", "creation": ("<", cutoff)}
		for doctype, field in TARGETS:
			skipped = [name for target, name in unsyncable if target == doctype]
			if skipped:  # Frappe compares `not in` on ifnull(field, ''): the other kind's rows stay
				filters[field] = ("not in", skipped)
		names = frappe.get_all(DELIVERY, filters=filters, pluck="name", order_by="creation asc", limit=REPUSH_BATCH)
		if not names:
			return
		try:
			result = push_deliveries(names, client=client, commit=True)
			missing = {r["id"] for r in result["rejected"] if r.get("code") in NOT_FOUND_CODES}
			if missing:
				unsyncable |= _resync_and_retry(client, missing)
		except SidecarError as e:
			frappe.logger("integrations_app").info(f"re-push stopped: {e}")
			return
		if not result["acked"] and not unsyncable:
			return  # no progress: do not spin on the same rows


def _resync_and_retry(client: SidecarClient, names: set[str]) -> set[tuple[str, str]]:
	"""Sync the endpoints (streams) of rejected rows and push those rows again. Returns the
	(DocType, name) targets that could not be synced, so the caller skips their rows for the
	rest of this run."""
	target_of = _targets(list(names))
	failed: set[tuple[str, str]] = set()
	for target in set(target_of.values()):
		doctype, name = target
		if not frappe.db.exists(doctype, name):
			_cancel_orphans(doctype, name)
			failed.add(target)
		elif not endpoints.sync_target(doctype, name, client):
			failed.add(target)
	frappe.db.commit()
	retry = [name for name, target in target_of.items() if target not in failed]
	if retry:
		push_deliveries(retry, client=client, commit=True)
	return failed


def _cancel_orphans(doctype: str, name: str) -> None:
	field = dict(TARGETS)[doctype]
	frappe.db.sql(
		f"""update `tab{DELIVERY}` set status = 'Cancelled', completed_at = %s,
		last_error = %s where `{field}` = %s and acked = 0 and status = 'Queued'""",
		(now(), f"The {doctype} was deleted", name),
	)


def reconcile() -> None:
	"""Hourly: ask the sidecar about every in-flight row it acknowledged. Rows it lost (Redis
	data loss) go back to the outbox; final states it knows but never reported are applied."""
	try:
		client = SidecarClient.from_settings()
	except SidecarError:
		return
	names = frappe.get_all(DELIVERY, filters={"acked": 1, "status": ("in", IN_FLIGHT)}, pluck="name", order_by="creation asc", limit=50_000)
	for start in range(0, len(names), MAX_MESSAGES_PER_CALL):
		chunk = names[start : start + MAX_MESSAGES_PER_CALL]
		try:
			answer = client.lookup_messages(chunk)
		except SidecarError as e:
			frappe.logger("integrations_app").info(f"reconcile stopped: {e}")
			return
		_requeue_missing([m for m in answer.get("missing") or [] if m in chunk])
		_apply_found_final({k: v for k, v in (answer.get("found") or {}).items() if k in chunk})
		frappe.db.commit()


def _requeue_missing(names: list[str]) -> None:
	# The sidecar numbers attempts afresh for a re-pushed message, so the count restarts too.
	if names:
		frappe.db.sql(
			f"""update `tab{DELIVERY}` set acked = 0, status = 'Queued', attempts_count = 0,
			next_attempt_at = null where name in %s""",
			(tuple(names),),
		)


def _apply_found_final(found: dict[str, str]) -> None:
	timestamp = now()
	for status in FINAL_STATUSES:
		names = [name for name, s in found.items() if s == status]
		if names:
			frappe.db.sql(
				f"""update `tab{DELIVERY}` set status = %s, completed_at = %s, next_attempt_at = null
				where name in %s and status in %s""",
				(STATUS_LABELS[status], timestamp, tuple(names), IN_FLIGHT),
			)
