"""Every query the SPA (and the daily cleanup) makes, timed on full tables.

    bench --site S execute integrations_app.benchmarks.spa_queries.run
    bench --site S execute integrations_app.benchmarks.spa_queries.run --kwargs '{"keep": 1}'   # leave the rows for the next run
    bench --site S execute integrations_app.benchmarks.spa_queries.cleanup

Fills Integration Webhook Delivery to `deliveries` rows (600k) and Integration Inbound Event to
`events` rows (300k) with multi-row INSERTs — 12 webhooks with skewed shares (40 % … 0.05 %), 18
event types, mostly Succeeded with some Failed/Cancelled/in flight, 30 days of history, payloads
of about 0.5 KiB — then times each call the SPA makes with the arguments `frontend/src/data/*.ts`
sends (the delivery log with each filter and their pairs, the next page, rows by name, the inbound
event list, the webhook list, the overview, endpoint stats with the sidecar up and down, the
detail views) and the cleanup's chunk select. Each: one warm-up, then the median of `runs`.
Prints a table with the index MariaDB chose, then one JSON line {query: ms, ..., "max_ms"}.
Rows it adds carry the benchmark's webhooks and endpoints; a second run with `keep` reuses them.
"""

import json
import random
import statistics
import time
import traceback
from unittest.mock import patch

import frappe
from frappe.client import get_list
from frappe.utils import add_to_date, now_datetime

from integrations_app.api import inbound as inbound_api
from integrations_app.api.dashboard import delivery_detail, delivery_event_types, delivery_overview
from integrations_app.outbound.rules.naming import event_type as event_type_of
from integrations_app.retention import CLEANUP_CHUNK, DELIVERY_RETENTION, INBOUND_RETENTION, retention_cutoff
from integrations_app.sidecar import client as sidecar_client

DELIVERY = "Integration Webhook Delivery"
INBOUND_EVENT = "Integration Inbound Event"
WEBHOOK = "Integration Webhook"
INBOUND_ENDPOINT = "Integration Inbound Endpoint"
TITLE = "spa_queries benchmark"
SLUG_PREFIX = "spa-queries-"

# frontend/src/data/deliveries.ts, inbound.ts, webhooks.ts
DELIVERY_FIELDS = ["name", "webhook", "event_type", "reference_doctype", "reference_name", "status", "attempts_count", "last_status_code", "last_error", "modified"]
INBOUND_FIELDS = ["name", "endpoint", "provider_event_id", "event_type", "status", "received_at"]
WEBHOOK_FIELDS = ["name", "title", "reference_doctype", "url", "status", "delivered_count", "failed_count", "consecutive_failures", "last_success_at"]
PAGE = 50

SHARES = [0.40, 0.20, 0.12, 0.08, 0.06, 0.05, 0.04, 0.02, 0.015, 0.01, 0.0045, 0.0005]
DOCTYPES = ["ToDo", "Note", "Event", "Contact", "Address", "File"]
STATUSES = [("Succeeded", 0.93), ("Failed", 0.04), ("Cancelled", 0.01), ("Retrying", 0.01), ("Queued", 0.005), ("Sending", 0.005)]
INBOUND_STATUSES = [("Processed", 0.90), ("No Handler", 0.07), ("Failed", 0.02), ("Received", 0.005), ("Processing", 0.005)]
ENDPOINT_SHARES = [0.6, 0.25, 0.1, 0.049, 0.001]
HISTORY_DAYS = 30


def run(deliveries: int = 600_000, events: int = 300_000, runs: int = 5, keep: int = 0):
	deliveries, events, runs = int(deliveries), int(events), int(runs)
	try:
		webhooks, endpoints = _fixtures()
		_fill_deliveries(webhooks, deliveries)
		_fill_events(endpoints, events)
		frappe.db.sql(f"analyze table `tab{DELIVERY}`, `tab{INBOUND_EVENT}`")
		results = _measure(webhooks, endpoints, runs)
	except Exception:
		traceback.print_exc()  # `bench execute` would hide it behind a NameError from its eval fallback
		raise
	finally:
		frappe.db.rollback()
		if not int(keep):
			cleanup()
	_report(results)


# --- filling


def _fixtures() -> tuple[list[str], list[str]]:
	webhooks = frappe.get_all(WEBHOOK, filters={"title": ("like", f"{TITLE} %")}, pluck="name", order_by="title asc")
	if len(webhooks) < len(SHARES):
		for i in range(len(webhooks), len(SHARES)):
			doctype = DOCTYPES[i % len(DOCTYPES)]
			frappe.get_doc(
				{
					"doctype": WEBHOOK,
					"title": f"{TITLE} {i:02d}",
					"reference_doctype": doctype,
					"status": "Disabled",  # nothing real is sent while the benchmark runs
					"url": "https://receiver.example.com/spa-queries",
					"events": [{"event": "after_insert"}, {"event": "on_update"}, {"event": "on_trash"}],
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()
		webhooks = frappe.get_all(WEBHOOK, filters={"title": ("like", f"{TITLE} %")}, pluck="name", order_by="title asc")
	endpoints = [f"{SLUG_PREFIX}{i}" for i in range(len(ENDPOINT_SHARES))]
	for slug in endpoints:
		if not frappe.db.exists(INBOUND_ENDPOINT, slug):
			frappe.get_doc({"doctype": INBOUND_ENDPOINT, "slug": slug, "provider": "github", "secret": "spa-queries"}).insert(
				ignore_permissions=True
			)
	frappe.db.commit()
	return webhooks, endpoints


def _weighted(options: list[tuple[str, float]], rng: random.Random) -> str:
	return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _fill_deliveries(webhooks: list[str], total: int) -> None:
	have = frappe.db.count(DELIVERY, {"webhook": ("in", webhooks)})
	if have >= total:
		return
	rng = random.Random(7)
	start = add_to_date(now_datetime(), days=-HISTORY_DAYS)
	step_s = HISTORY_DAYS * 86400 / total
	fields = ["name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "webhook", "event_type",
		"reference_doctype", "reference_name", "payload", "status", "acked", "attempts_count", "last_status_code", "last_error", "completed_at"]
	weights = SHARES
	rows = []
	for i in range(have, total):
		w = rng.choices(range(len(webhooks)), weights=weights)[0]
		doctype = DOCTYPES[w % len(DOCTYPES)]
		created = add_to_date(start, seconds=i * step_s)
		status = _weighted(STATUSES, rng)
		final = status in ("Succeeded", "Failed", "Cancelled")
		modified = add_to_date(created, seconds=rng.randint(1, 5) if status == "Succeeded" else 86400 if final else 60)
		method = rng.choice(("after_insert", "on_update", "on_update", "on_trash"))
		ref = f"{doctype[:3].upper()}-{i % 50_000:06d}"
		payload = json.dumps({"name": ref, "doctype": doctype, "description": "x" * 420, "modified": str(created)})
		rows.append(
			(f"msg_spaq{i:010d}", created, modified, "Administrator", "Administrator", 0, 0, webhooks[w], event_type_of(doctype, method),
			doctype, ref, payload, status, 0 if status == "Queued" else 1, 1 if status == "Succeeded" else 9 if status == "Failed" else 2,
			200 if status == "Succeeded" else 500, None if status == "Succeeded" else "HTTP 500 from the receiver", modified if final else None)
		)
		if len(rows) == 20_000:
			frappe.db.bulk_insert(DELIVERY, fields, rows, chunk_size=2000)
			frappe.db.commit()
			rows = []
	if rows:
		frappe.db.bulk_insert(DELIVERY, fields, rows, chunk_size=2000)
		frappe.db.commit()


def _fill_events(endpoints: list[str], total: int) -> None:
	have = frappe.db.count(INBOUND_EVENT, {"endpoint": ("in", endpoints)})
	if have >= total:
		return
	rng = random.Random(11)
	start = add_to_date(now_datetime(), days=-HISTORY_DAYS)
	step_s = HISTORY_DAYS * 86400 / total
	fields = ["name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "endpoint", "provider", "provider_event_id",
		"event_type", "status", "received_at", "processed_at", "attempts", "payload", "headers"]
	headers = json.dumps({"content-type": "application/json", "user-agent": "GitHub-Hookshot/abc", "x-github-event": "push"})
	rows = []
	for i in range(have, total):
		endpoint = endpoints[rng.choices(range(len(endpoints)), weights=ENDPOINT_SHARES)[0]]
		received = add_to_date(start, seconds=i * step_s)
		status = _weighted(INBOUND_STATUSES, rng)
		rows.append(
			(f"spaq{i:010d}", received, received, "Administrator", "Administrator", 0, 0, endpoint, "github", f"delivery-{i}",
			rng.choice(("push", "pull_request", "issues", "release")), status, received,
			received if status in ("Processed", "No Handler") else None, 1, json.dumps({"ref": "main", "body": "y" * 900}), headers)
		)
		if len(rows) == 20_000:
			frappe.db.bulk_insert(INBOUND_EVENT, fields, rows, chunk_size=2000)
			frappe.db.commit()
			rows = []
	if rows:
		frappe.db.bulk_insert(INBOUND_EVENT, fields, rows, chunk_size=2000)
		frappe.db.commit()


# --- measuring


def _delivery_list(filters: dict, start: int = 0, **extra):
	return lambda: get_list(DELIVERY, fields=DELIVERY_FIELDS, filters=filters, order_by="modified desc", limit_start=start, limit_page_length=PAGE, **extra)


def _queries(webhooks: list[str], endpoints: list[str]) -> dict:
	big, small = webhooks[0], webhooks[-1]
	some = frappe.get_all(DELIVERY, filters={"webhook": big}, pluck="name", limit=3, order_by="name desc")
	event = frappe.get_all(INBOUND_EVENT, filters={"endpoint": endpoints[0]}, pluck="name", limit=1)[0]
	queries = {"deliveries": _delivery_list({}), "deliveries next page": _delivery_list({}, start=PAGE)}
	for status, _ in STATUSES:
		queries[f"deliveries status={status}"] = _delivery_list({"status": status})
	queries |= {
		"deliveries webhook=largest": _delivery_list({"webhook": big}),
		"deliveries webhook=smallest": _delivery_list({"webhook": small}),
		"deliveries status=Failed webhook=largest": _delivery_list({"status": "Failed", "webhook": big}),
		"deliveries status=Failed webhook=smallest": _delivery_list({"status": "Failed", "webhook": small}),
		"event types (for 'contains')": delivery_event_types,
	}
	# "event type contains": what the SPA sends now (`in` the matching types, deliveries.ts
	# matchingEventTypes) and what it sent before (`like '%…%'`)
	for text, extra, label in (
		("todo", {}, "'todo'"),
		("deleted", {}, "'deleted'"),
		("file.upd", {}, "'file.upd' (rare)"),
		("zzz", {}, "'zzz' (none)"),
		("note", {"status": "Cancelled"}, "'note' + status=Cancelled"),
		("deleted", {"webhook": big}, "'deleted' + webhook=largest"),
	):
		queries[f"deliveries event contains {label}"] = _delivery_list({**extra, "event_type": ["in", _matching(text)]})
		queries[f"deliveries event contains {label}, old LIKE"] = _delivery_list({**extra, "event_type": ["like", f"%{text}%"]})
	queries |= {
		"deliveries by name (realtime fill-in)": lambda: get_list(
			DELIVERY, fields=DELIVERY_FIELDS, filters={"status": "Succeeded", "name": ["in", some]}, order_by="modified desc", limit_page_length=len(some)
		),
		"delivery detail": lambda: delivery_detail(some[0]),
		"overview (60 min)": lambda: delivery_overview(60),
		"webhooks list": lambda: get_list(WEBHOOK, fields=WEBHOOK_FIELDS, filters={}, order_by="modified desc", limit_page_length=500),
		"inbound events": lambda: get_list(INBOUND_EVENT, fields=INBOUND_FIELDS, filters={}, order_by="received_at desc", limit_page_length=PAGE),
		"inbound event detail": lambda: frappe.client.get(INBOUND_EVENT, event),
		"endpoint_stats (sidecar up)": inbound_api.endpoint_stats,
		"endpoint_stats (sidecar down)": _sidecar_down(inbound_api.endpoint_stats),
	}
	queries["endpoint_stats old: count per endpoint over all events"] = lambda: frappe.db.sql(
		f"select endpoint, count(*) from `tab{INBOUND_EVENT}` group by endpoint"
	)
	cutoff = retention_cutoff(DELIVERY_RETENTION[0][1])
	queries["cleanup chunk: deliveries Succeeded, old query"] = lambda: frappe.get_all(
		DELIVERY, filters={"status": "Succeeded", "creation": ("<", cutoff)}, pluck="name", limit=CLEANUP_CHUNK
	)
	for status, field, _ in DELIVERY_RETENTION[:1]:
		queries[f"cleanup chunk: deliveries {status}"] = _cleanup_select(DELIVERY, "status = %s and acked in (0, 1) and creation < %s", (status, retention_cutoff(field)))
	for status, field, _ in INBOUND_RETENTION[:1]:
		queries[f"cleanup chunk: inbound {status}"] = _cleanup_select(INBOUND_EVENT, "status = %s and creation < %s", (status, retention_cutoff(field)))
	return queries


def _matching(text: str) -> list[str]:
	"""deliveries.ts matchingEventTypes: the types containing `text` (any case), else [text]."""
	matching = [t for t in delivery_event_types() if text.lower() in t.lower()]
	return matching or [text]


def _cleanup_select(doctype: str, where: str, values: tuple):
	query = f"select name from `tab{doctype}` where {where} limit %s"
	return lambda: frappe.db.sql(query, (*values, CLEANUP_CHUNK))


def _sidecar_down(fn):
	def call():
		with patch.object(sidecar_client.SidecarClient, "from_settings", side_effect=sidecar_client.SidecarUnavailable("down")):
			return fn()

	return call


def _measure(webhooks: list[str], endpoints: list[str], runs: int) -> dict:
	results = {}
	for label, call in _queries(webhooks, endpoints).items():
		statements: list[str] = []
		original = frappe.db.sql

		def recording(query, *args, statements=statements, original=original, **kwargs):
			statements.append(frappe.db.mogrify(query, args[0] if args else kwargs.get("values")))
			return original(query, *args, **kwargs)

		with patch.object(frappe.db, "sql", recording):
			call()  # warm-up, and the statements it runs
		timings = []
		for _ in range(runs):
			start = time.perf_counter()
			call()
			timings.append((time.perf_counter() - start) * 1000)
		results[label] = {"ms": round(statistics.median(timings), 2), "plan": _plan(statements)}
	return results


def _plan(statements: list[str]) -> str:
	"""The key and rows MariaDB plans for the heaviest select on a log table."""
	plans = []
	for statement in statements:
		text = str(statement)
		if text.lstrip().lower().startswith("select") and (DELIVERY in text or INBOUND_EVENT in text):
			for row in frappe.db.sql(f"explain {text}", as_dict=True):
				if row.get("table") and (DELIVERY in row["table"] or INBOUND_EVENT in row["table"]):
					plans.append(f"{row.get('type')}:{row.get('key') or '-'}~{row.get('rows')}{' filesort' if 'filesort' in (row.get('Extra') or '') else ''}")
	return ", ".join(plans)


def _report(results: dict) -> None:
	width = max(len(label) for label in results)
	for label, r in results.items():
		print(f"{label:<{width}}  {r['ms']:>9.2f} ms  {r['plan']}")
	summary = {label: r["ms"] for label, r in results.items()}
	summary["max_ms"] = max(summary.values())
	summary["over_50ms"] = sorted(label for label, r in results.items() if r["ms"] > 50)
	print(json.dumps(summary))


def cleanup() -> None:
	"""Delete the benchmark's rows, webhooks and endpoints (in chunks, then the documents)."""
	frappe.db.rollback()
	webhooks = frappe.get_all(WEBHOOK, filters={"title": ("like", f"{TITLE} %")}, pluck="name")
	for webhook in webhooks:
		while frappe.db.sql(f"select 1 from `tab{DELIVERY}` where webhook = %s limit 1", (webhook,)):
			frappe.db.sql(f"delete from `tab{DELIVERY}` where webhook = %s limit 20000", (webhook,))
			frappe.db.commit()
		frappe.delete_doc(WEBHOOK, webhook, ignore_permissions=True, force=True, delete_permanently=True)
	endpoints = frappe.get_all(INBOUND_ENDPOINT, filters={"name": ("like", f"{SLUG_PREFIX}%")}, pluck="name")
	for endpoint in endpoints:
		while frappe.db.sql(f"select 1 from `tab{INBOUND_EVENT}` where endpoint = %s limit 1", (endpoint,)):
			frappe.db.sql(f"delete from `tab{INBOUND_EVENT}` where endpoint = %s limit 20000", (endpoint,))
			frappe.db.commit()
		frappe.delete_doc(INBOUND_ENDPOINT, endpoint, ignore_permissions=True, force=True, delete_permanently=True)
	frappe.db.commit()
	print(f"removed {len(webhooks)} webhooks and {len(endpoints)} inbound endpoints with their rows")
