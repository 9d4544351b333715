"""Applying the sidecar's delivery outcomes (docs/api.md `report_deliveries`) in bulk.

One locking read of the deliveries and one of their attempts per batch, then one UPDATE per
changed delivery, a bulk INSERT of new attempts and one UPDATE per webhook for its health.
The ordering rules themselves are pure: `integrations_app.outbound.rules.outcomes`.
"""

import json
from collections import defaultdict

import frappe
from frappe.utils import now

from integrations_app.outbound.outbox import STANDARD_COLUMNS
from integrations_app.outbound.rules import outcomes as rules
from integrations_app.sitetime import from_iso

DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
WEBHOOK = "Integration Webhook"
MAX_OUTCOMES = 5000
# Frappe Int columns are NOT NULL DEFAULT 0: "unknown" is stored as 0 and read back as None.
INT_FIELDS = ("status_code", "duration_ms")


def _local(value: str | None):
	"""Sidecar timestamps are UTC ISO-8601; a malformed one is dropped rather than failing the batch."""
	try:
		return from_iso(value)
	except ValueError:
		return None


def apply_outcomes(raw_outcomes: list) -> dict:
	if not isinstance(raw_outcomes, list):
		frappe.throw("outcomes must be a list", frappe.ValidationError)
	if len(raw_outcomes) > MAX_OUTCOMES:
		frappe.throw(f"At most {MAX_OUTCOMES} outcomes per call", frappe.ValidationError)

	parsed, ignored = [], []
	for raw in raw_outcomes:
		try:
			parsed.append(rules.parse_outcome(raw))
		except ValueError as e:
			message_id = raw.get("message_id") if isinstance(raw, dict) else None
			ignored.append({"message_id": message_id, "reason": str(e)})
	if not parsed:
		return {"updated": 0, "ignored": ignored}

	ids = tuple({o.message_id for o in parsed})
	deliveries = {
		d.name: d
		for d in frappe.db.sql(
			f"""select name, webhook, status, attempts_count from `tab{DELIVERY}`
			where name in %s for update""",
			(ids,),
			as_dict=True,
		)
	}
	attempts = {
		(a.parent, a.attempt_no): _from_db(a)
		for a in frappe.db.sql(
			f"""select name, parent, attempt_no, at, status_code, duration_ms, error, response_body, request_headers
			from `tab{ATTEMPT}` where parenttype = %s and parent in %s""",
			(DELIVERY, ids),
			as_dict=True,
		)
	}

	batch = _Batch(deliveries, attempts)
	updated = 0
	for outcome in parsed:
		if outcome.message_id not in deliveries:
			ignored.append({"message_id": outcome.message_id, "reason": "unknown message"})
			continue
		if batch.apply(outcome):
			updated += 1
	batch.write()
	return {"updated": updated, "ignored": ignored}


class _Batch:
	"""In-memory state of one report: outcomes are folded in arrival order, then written once."""

	def __init__(self, deliveries: dict, attempts: dict):
		self.deliveries = deliveries
		self.attempts = attempts
		self.changed_deliveries: set[str] = set()
		self.changed_attempts: set[tuple[str, int]] = set()
		self.health_results: dict[str, list] = defaultdict(list)
		self.counters: dict[str, dict[str, int]] = defaultdict(lambda: {"delivered": 0, "failed": 0})

	def apply(self, outcome: rules.Outcome) -> bool:
		delivery = self.deliveries[outcome.message_id]
		changed = False
		attempt = None
		if outcome.attempt:
			# A cancel is not a delivery attempt: it does not count against the endpoint's health.
			attempt, changed = self._merge_attempt(delivery, outcome.attempt, counts=outcome.status != "cancelled")

		current_n = delivery.attempts_count or 0
		if rules.should_apply_status(delivery.status, current_n, outcome.status, outcome.attempt_no):
			self._set_status(delivery, outcome, attempt)
			changed = True
		if outcome.attempt_no and outcome.attempt_no > current_n:
			delivery.attempts_count = outcome.attempt_no
			changed = True
		if changed:
			self.changed_deliveries.add(delivery.name)
		return changed

	def _merge_attempt(self, delivery, new: dict, counts: bool) -> tuple[dict, bool]:
		key = (delivery.name, new["n"])
		existing = self.attempts.get(key)
		had_result = rules.attempt_has_result(existing)
		incoming = {
			**new,
			"at": _local(new["at"]),
			"request_headers": json.dumps(new["request_headers"], indent=1, sort_keys=True)
			if isinstance(new["request_headers"], dict)
			else new["request_headers"],
		}
		merged = rules.merge_attempt(_attempt_dict(existing), incoming)
		if existing:
			merged["name"] = existing.name
		changed = merged != _attempt_dict(existing, keep_name=True)
		if changed:
			self.attempts[key] = frappe._dict(merged, attempt_no=new["n"], parent=delivery.name)
			self.changed_attempts.add(key)
		if counts and not had_result and rules.attempt_has_result(merged):
			self.health_results[delivery.webhook].append(
				(merged.get("at"), rules.attempt_succeeded(merged), _attempt_error(merged))
			)
		return merged, changed

	def _set_status(self, delivery, outcome: rules.Outcome, attempt: dict | None) -> None:
		label = rules.STATUS_LABELS[outcome.status]
		final = outcome.status in rules.FINAL_STATUSES
		if label != delivery.status:
			if label == "Succeeded":
				self.counters[delivery.webhook]["delivered"] += 1
			elif label == "Failed":
				self.counters[delivery.webhook]["failed"] += 1
		delivery.status = label
		delivery.next_attempt_at = None if final else _local(outcome.next_attempt_at)
		delivery.completed_at = now() if final else None
		if attempt and rules.attempt_has_result(attempt):
			delivery.last_status_code = attempt.get("status_code")
			delivery.last_error = _attempt_error(attempt) if not rules.attempt_succeeded(attempt) else None
			delivery.last_duration_ms = attempt.get("duration_ms")
		delivery.status_changed = True

	def write(self) -> None:
		timestamp = now()
		for name in self.changed_deliveries:
			d = self.deliveries[name]
			values = {"attempts_count": d.attempts_count or 0, "acked": 1, "modified": timestamp}
			if d.get("status_changed"):
				values.update(
					status=d.status,
					next_attempt_at=d.next_attempt_at,
					completed_at=d.completed_at,
				)
				if "last_status_code" in d:
					values.update(
						last_status_code=d.last_status_code or 0,
						last_error=d.last_error,
						last_duration_ms=d.last_duration_ms or 0,
					)
			assignments = ", ".join(f"`{k}` = %({k})s" for k in values)
			frappe.db.sql(f"update `tab{DELIVERY}` set {assignments} where name = %(name)s", {**values, "name": name})
		self._write_attempts(timestamp)
		self._write_health()

	def _write_attempts(self, timestamp: str) -> None:
		new_rows = []
		for key in self.changed_attempts:
			a = self.attempts[key]
			fields = {f: a.get(f) for f in rules.ATTEMPT_FIELDS}
			fields.update({f: fields[f] or 0 for f in INT_FIELDS})
			if a.get("name"):
				assignments = ", ".join(f"`{k}` = %({k})s" for k in fields)
				frappe.db.sql(
					f"update `tab{ATTEMPT}` set {assignments}, modified = %(modified)s where name = %(name)s",
					{**fields, "modified": timestamp, "name": a.name},
				)
			else:
				new_rows.append(
					(
						frappe.generate_hash(length=10),
						timestamp,
						timestamp,
						frappe.session.user,
						frappe.session.user,
						0,
						a.attempt_no,
						a.parent,
						"attempts",
						DELIVERY,
						a.attempt_no,
						*(fields[f] for f in rules.ATTEMPT_FIELDS),
					)
				)
		if new_rows:
			frappe.db.bulk_insert(
				ATTEMPT,
				[
					*STANDARD_COLUMNS,
					"parent",
					"parentfield",
					"parenttype",
					"attempt_no",
					*rules.ATTEMPT_FIELDS,
				],
				new_rows,
			)

	def _write_health(self) -> None:
		webhooks = set(self.health_results) | set(self.counters)
		if not webhooks:
			return
		current = {
			w.name: w
			for w in frappe.db.sql(
				f"select name, consecutive_failures from `tab{WEBHOOK}` where name in %s for update",
				(tuple(webhooks),),
				as_dict=True,
			)
		}
		for webhook in webhooks:
			if webhook not in current:
				continue
			changes = rules.fold_health(current[webhook].consecutive_failures or 0, self.health_results.get(webhook, []))
			counts = self.counters.get(webhook) or {"delivered": 0, "failed": 0}
			assignments = [
				"delivered_count = delivered_count + %(delivered)s",
				"failed_count = failed_count + %(failed)s",
			]
			assignments += [f"`{k}` = %({k})s" for k in changes]
			frappe.db.sql(
				f"update `tab{WEBHOOK}` set {', '.join(assignments)} where name = %(name)s",
				{**changes, **counts, "name": webhook},
			)


def _from_db(row):
	for field in INT_FIELDS:
		if not row.get(field):
			row[field] = None
	return row


def _attempt_dict(row, keep_name: bool = False) -> dict | None:
	if not row:
		return None
	data = {"n": row.attempt_no, **{f: row.get(f) for f in rules.ATTEMPT_FIELDS}}
	if keep_name:
		data["name"] = row.name
	return data


def _attempt_error(attempt: dict) -> str | None:
	if attempt.get("error"):
		return attempt["error"]
	code = attempt.get("status_code")
	return f"HTTP {code}" if code is not None and not 200 <= code < 300 else None
