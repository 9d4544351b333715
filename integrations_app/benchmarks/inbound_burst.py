"""Inbound events end to end: a burst of verified Stripe events posted to the sidecar's public
route, until every one is Processed by its handler in Frappe.

    bench --site S execute integrations_app.benchmarks.inbound_burst.run
    bench --site S execute integrations_app.benchmarks.inbound_burst.run --kwargs '{"n": 1000, "concurrency": 32}'

Needs the sidecar of Integration Settings running with FRAPPE_URL pointing at this site, and a
worker (`bench worker`, or `bench start`). The run:

1. creates a Stripe Integration Inbound Endpoint (synced to the sidecar on commit) and registers
   `handle` below for its event type through the site config key `integration_inbound_handlers`
   (read by every job: the handler is a benchmark's, not in any app's hooks.py);
2. posts `n` Stripe-signed events (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, t + "." + body)`)
   to `<sidecar>/v1/inbound/<slug>` from `concurrency` threads, all at once;
3. waits until all `n` Integration Inbound Events are Processed (the handler writes one ToDo row
   each), then counts the processing jobs RQ ran for them.

Prints one JSON line {events, seconds_end_to_end, events_per_s, jobs_enqueued, ...}. Everything it
made is removed at the end; `cleanup` does that after an interrupted run.
"""

import hashlib
import hmac
import json
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests
from frappe.installer import update_site_config
from frappe.utils.background_jobs import get_queue
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from integrations_app.inbound import events as inbound_events
from integrations_app.sidecar.client import SidecarClient, SidecarError

SLUG = "benchmark-inbound-burst"
EVENT_TYPE = "benchmark.inbound_burst"
SECRET = "whsec_benchmark_inbound_burst_0123456789"
INBOUND_EVENT = "Integration Inbound Event"
INBOUND_ENDPOINT = "Integration Inbound Endpoint"
TODO_PREFIX = "inbound_burst benchmark"
HANDLER = "integrations_app.benchmarks.inbound_burst.handle"


def handle(event, payload) -> None:
	"""The benchmark's handler: about one DB write."""
	frappe.get_doc({"doctype": "ToDo", "description": f"{TODO_PREFIX} {event.name}"}).db_insert()


def run(n: int = 1000, concurrency: int = 32, timeout_s: float = 300) -> dict:
	n, concurrency, timeout_s = int(n), int(concurrency), float(timeout_s)
	try:
		cleanup(quiet=True)
		client = SidecarClient.from_settings()
		_register_handler()
		_create_endpoint(client)
		run_id = frappe.generate_hash(length=8)
		bodies = [
			json.dumps({"id": f"evt_{run_id}_{i}", "object": "event", "type": EVENT_TYPE, "data": {"object": {"n": i}}})
			for i in range(n)
		]
		errors_before = frappe.db.count("Error Log")

		started_wall = time.time()
		start = time.perf_counter()
		posted = _post_burst(f"{client.base_url}/v1/inbound/{SLUG}", bodies, concurrency)
		seconds_posting = time.perf_counter() - start
		statuses, seconds_stored = _wait_processed(n, start, start + timeout_s)
		seconds = time.perf_counter() - start

		frappe.db.rollback()  # a fresh snapshot for the counts below
		result = {
			"events": n,
			"seconds_end_to_end": round(seconds, 3),
			"events_per_s": round(n / seconds, 1),
			"jobs_enqueued": _processing_jobs_since(started_wall),
			"seconds_posting": round(seconds_posting, 3),
			"seconds_until_all_stored_in_frappe": round(seconds_stored, 3),
			"posted_ok": posted,
			"statuses": statuses,
			"handler_rows": frappe.db.count("ToDo", {"description": ("like", f"{TODO_PREFIX} %")}),
			"new_error_logs": frappe.db.count("Error Log") - errors_before,
		}
	except Exception:
		traceback.print_exc()  # `bench execute` would hide it behind a NameError from its eval fallback
		raise
	finally:
		cleanup(quiet=True)
	print(json.dumps(result))
	return result


def _register_handler() -> None:
	update_site_config(inbound_events.HOOK, {"stripe": {EVENT_TYPE: HANDLER}})
	frappe.local.conf[inbound_events.HOOK] = {"stripe": {EVENT_TYPE: HANDLER}}


def _create_endpoint(client: SidecarClient) -> None:
	frappe.get_doc({"doctype": INBOUND_ENDPOINT, "slug": SLUG, "provider": "stripe", "secret": SECRET}).insert(
		ignore_permissions=True
	)
	frappe.db.commit()  # the sync to the sidecar runs after commit
	for _ in range(50):
		try:
			client.get_inbound_endpoint(SLUG)
			return
		except SidecarError:
			time.sleep(0.1)
	raise RuntimeError(f"The sidecar at {client.base_url} never got the inbound endpoint {SLUG}")


def _signature(body: str) -> str:
	t = str(int(time.time()))
	v1 = hmac.new(SECRET.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
	return f"t={t},v1={v1}"


def _post_burst(url: str, bodies: list[str], concurrency: int) -> int:
	local = threading.local()

	def post(body: str) -> bool:
		session = getattr(local, "session", None) or requests.Session()
		local.session = session
		response = session.post(
			url, data=body.encode(), headers={"Content-Type": "application/json", "Stripe-Signature": _signature(body)}, timeout=30
		)
		if response.status_code != 200:
			raise RuntimeError(f"POST {url} answered {response.status_code}: {response.text[:200]}")
		return True

	with ThreadPoolExecutor(max_workers=concurrency) as pool:
		return sum(pool.map(post, bodies))


def _wait_processed(n: int, start: float, deadline: float) -> tuple[dict, float]:
	"""→ (count per status, seconds from `start` until all `n` were stored in Frappe)."""
	statuses: dict = {}
	stored_at = None
	while time.perf_counter() < deadline:
		frappe.db.rollback()  # see what other transactions committed since the last look
		statuses = dict(
			frappe.db.sql(
				f"select status, count(*) from `tab{INBOUND_EVENT}` where endpoint = %s group by status", (SLUG,)
			)
		)
		if stored_at is None and sum(statuses.values()) >= n:
			stored_at = time.perf_counter() - start
		if stored_at is not None and not statuses.get("Received") and not statuses.get("Processing"):
			return statuses, stored_at
		time.sleep(0.02)
	raise RuntimeError(f"Not all {n} events were processed in time: {statuses}")


def _processing_jobs_since(started_wall: float) -> int:
	"""Processing jobs of this site RQ knows about (queued, running, finished or failed since)."""
	queue = get_queue("default")
	prefix = f"{frappe.local.site}::{inbound_events.JOB_ID_PREFIX}"
	ids = set(queue.job_ids)
	for registry in (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry):
		ids.update(registry(queue=queue).get_job_ids())
	count = 0
	for job in Job.fetch_many([i for i in ids if i.startswith(prefix)], connection=queue.connection):
		if job and job.enqueued_at and job.enqueued_at.timestamp() >= started_wall - 1:
			count += 1
	return count


def cleanup(quiet: bool = False) -> None:
	"""Remove what a run made: the endpoint (also from the sidecar), its events, the handler's
	ToDos and the site config entry."""
	frappe.db.rollback()
	conf = frappe.get_site_config().get(inbound_events.HOOK) or {}
	if (conf.get("stripe") or {}).get(EVENT_TYPE):
		others = {k: v for k, v in conf.get("stripe").items() if k != EVENT_TYPE}
		rest = {**conf, "stripe": others} if others else {k: v for k, v in conf.items() if k != "stripe"}
		update_site_config(inbound_events.HOOK, rest or "None")
	frappe.local.conf.pop(inbound_events.HOOK, None)
	if frappe.db.exists(INBOUND_ENDPOINT, SLUG):
		frappe.delete_doc(INBOUND_ENDPOINT, SLUG, ignore_permissions=True, force=True, delete_permanently=True)
	while frappe.db.count(INBOUND_EVENT, {"endpoint": SLUG}):
		frappe.db.sql(f"delete from `tab{INBOUND_EVENT}` where endpoint = %s limit 5000", (SLUG,))
		frappe.db.commit()
	frappe.db.sql("delete from `tabToDo` where description like %s", (f"{TODO_PREFIX} %",))
	frappe.db.commit()
	if not quiet:
		print("removed the inbound_burst endpoint, its events and the handler's rows")
