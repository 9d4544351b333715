"""What webhooks add to saving a document: none vs Frappe's own `Webhook` vs Integration Webhooks.

    bench --site S execute integrations_app.benchmarks.save_cost.run
    bench --site S execute integrations_app.benchmarks.save_cost.run --kwargs '{"n": 200, "core_n": 20}'

One iteration is what a user's request pays: `frappe.get_doc({"doctype": "ToDo", ...}).insert()`
+ `.save()` of an existing ToDo + `frappe.db.commit()`, timed as a whole. Three configurations
on ToDo, interleaved so that drift and the background work (core's jobs on bench's worker, the
sidecar's deliveries and reports) hit all of them alike. The run is `core_n` rounds; a round is
one `core` iteration, then its share of the `n` `none` and `n` `ours` iterations in pairs,
alternating none-ours, ours-none, … (ABBA), so each "ours" request has a "none" request beside it
under the same conditions. Core gets fewer samples because each of its iterations leaves ~20
jobs that bench's worker takes 20–60 s to run; "none" and "ours" settle in well under a second.
Every switch of configuration also refills the Redis copies of both webhook maps, so a request
never pays a map rebuild that a real request after a webhook change pays only once:

- `none`: no webhook on ToDo;
- `core`: `webhooks` Frappe `Webhook` documents per event (after_insert and on_update; so twice
  as many documents), posting to a local receiver. Core enqueues one background job per
  webhook after commit; the request pays the enqueues, bench's worker sends them;
- `ours`: `webhooks` Active Integration Webhooks (after_insert + on_update, no condition) to the
  same receiver: the request pays the payloads, the before_commit row inserts and the
  after_commit hand-off onto redis_queue; the sidecar (if running) delivers.

`settle` (default 1): after each timed iteration, and untimed, wait until the background work it
caused is done — core's jobs run by bench's worker, ours delivered by the sidecar — so each
request is timed alone. Without it (`settle=0`) requests overlap the background work of the ones
before: bench's single worker falls behind core's ~20 jobs per iteration and does almost none of
them during the run (they are dropped at the end), while the sidecar delivers all of ours as they
come, on the same two cores, so overlapped timings charge ours for delivery work core defers.
Both figures are printed. With settle, the CPU time the background processes spent per
iteration (bench's workers with their forked job processes, and the sidecar process; Redis
excluded) is measured too: what each configuration costs the machine beyond the request.
Background work still unfinished after `settle_timeout_s` (default 300) stops the run with
NotSettled: bench's worker forks a process per job, ~20 for each core iteration, which takes
a minute and more on two loaded cores, but work that never finishes is a fault, not a figure.

Each iteration drops the request-local copies of both webhook maps, so each pays the Redis read a
fresh web request pays. The receiver is a child process (`python -c`, 200 to every POST), so its
work does not share this process's GIL. Run it once with the sidecar running and once with it
stopped: the JSON says which (`sidecar`). Everything created is deleted at the end (after bench's
worker and the sidecar have drained what the run queued); live ToDo webhooks of either kind are
disabled for the run and restored afterwards (`cleanup` does it after a killed run). One run per
site at a time: a second one raises AlreadyRunning instead of switching the first one's webhooks.

Prints a table, then one JSON line: medians (ms) of the whole request per configuration, the
added cost of each vs none, `ratio = ours_added_ms / core_added_ms` (target ≤ 0.2), and for ours
the medians of the before_commit row inserts (`flush_ms`) and the after_commit hand-off
(`handoff_ms`); with settle, `background_cpu_ms` per configuration (median per iteration).
"""

import cProfile
import gc
import io
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from urllib.parse import urlsplit

import frappe
import psutil
from frappe.integrations.doctype.webhook import get_all_webhooks
from frappe.utils.background_jobs import get_queue

from integrations_app.outbound import doc_events
from integrations_app.outbound.webhook_map import CACHE_KEY, get_webhook_map, invalidate_webhook_map
from integrations_app.sidecar import config_sync, handoff
from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound

WEBHOOK = "Integration Webhook"
CORE_WEBHOOK = "Webhook"
TITLE_PREFIX = "save_cost benchmark"
CONFIGS = ("none", "core", "ours")
# Live ToDo webhooks of both kinds disabled by a run, so `cleanup` can restore them after a crash
OTHERS_KEY = "integrations_app:save_cost:disabled_webhooks"
# One run per site at a time: a second one would disable the first one's webhooks, and its fixed
# core webhook names would collide. Held for RUN_LOCK_S at most, so a killed run frees it.
RUN_LOCK_KEY = "integrations_app:save_cost:running"
RUN_LOCK_S = 3 * 3600
QUIET_GAP_S = 0.25

RECEIVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


class _Timers:
	"""Wraps the outbox's before_commit flush and after_commit hand-off to time them."""

	def __init__(self):
		self.flush_ns = self.handoff_ns = 0
		self._orig_flush = doc_events.flush_pending
		self._orig_handoff = handoff._after_commit

	def install(self):
		def flush_pending():
			start = time.perf_counter_ns()
			try:
				self._orig_flush()
			finally:
				self.flush_ns += time.perf_counter_ns() - start

		def after_commit(*args, **kwargs):
			start = time.perf_counter_ns()
			try:
				self._orig_handoff(*args, **kwargs)
			finally:
				self.handoff_ns += time.perf_counter_ns() - start

		# both are looked up by name when a transaction registers them
		doc_events.flush_pending = flush_pending
		handoff._after_commit = after_commit

	def uninstall(self):
		doc_events.flush_pending = self._orig_flush
		handoff._after_commit = self._orig_handoff

	def take(self) -> tuple[int, int]:
		values = (self.flush_ns, self.handoff_ns)
		self.flush_ns = self.handoff_ns = 0
		return values


def _sidecar_state() -> str:
	try:
		health = SidecarClient.from_settings(connect_timeout=1.0, read_timeout=2.0).health()
	except SidecarError:
		return "down"
	return "up" if (health.get("delivery") or {}).get("outbox_handoff") == "consuming" else "up, not consuming the hand-off"


def _background_processes() -> dict[str, list[psutil.Process]]:
	"""bench's RQ workers (their forked job processes are reaped into their children's times) and
	the sidecar's Node process(es)."""
	from rq import Worker

	workers = []
	for worker in Worker.all(connection=get_queue("default").connection):
		try:
			workers.append(psutil.Process(worker.pid))
		except (psutil.Error, TypeError):
			pass
	return {"workers": workers, "sidecar": _sidecar_processes()}


def _sidecar_processes() -> list[psutil.Process]:
	"""The process listening on the Sidecar URL's port: matching command lines would also count
	any other sidecar on the machine (a test run's, another bench's)."""
	port = urlsplit(frappe.db.get_single_value("Integration Settings", "sidecar_url") or "").port
	if not port:
		return []
	pids = {
		conn.pid
		for conn in psutil.net_connections(kind="tcp")
		if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid
	}
	return [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]


def _cpu_ms(procs: dict[str, list[psutil.Process]]) -> float:
	total = 0.0
	for group in procs.values():
		for proc in group:
			try:
				t = proc.cpu_times()
			except psutil.Error:
				continue
			total += t.user + t.system + t.children_user + t.children_system
	return total * 1000


class NotSettled(RuntimeError):
	"""The background work of an iteration did not finish in time: what the run would go on to
	time is no longer each request alone, so it is not a measurement."""


class SidecarNotReady(RuntimeError):
	"""The sidecar is up but has not got the run's endpoints: every delivery would wait Queued."""


class AlreadyRunning(RuntimeError):
	"""Another save_cost run holds this site: two at once would each switch the other's webhooks."""


@contextmanager
def _run_lock():
	key = frappe.cache.make_key(RUN_LOCK_KEY)
	holder = f"{socket.gethostname()}:{os.getpid()} since {time.strftime('%H:%M:%S')}"
	if not frappe.cache.set(key, holder, nx=True, ex=RUN_LOCK_S):
		other = frappe.cache.get(key)
		raise AlreadyRunning(
			f"another save_cost run is under way on this site ({(other or b'?').decode()}): wait for it to end. "
			f"If it was killed, run save_cost.cleanup(), which also frees the site."
		)
	try:
		yield
	finally:
		if frappe.cache.get(key) == holder.encode():
			frappe.cache.delete(key)


def _settle(ours: tuple, sidecar_up: bool, timeout_s: float) -> None:
	"""Until bench's worker has no queued or running job and, with the sidecar up, every
	delivery of the run's Integration Webhooks has its outcome reported back to Frappe (the
	report is part of the background work). Raises NotSettled at the timeout (a failing
	receiver, a stopped worker or sidecar)."""
	deadline = time.monotonic() + timeout_s
	_settle_worker(deadline, timeout_s)
	if sidecar_up and ours:
		_settle_deliveries(ours, deadline, timeout_s)
	# The same quiet gap after every request, whatever its configuration: a drained queue is not
	# an idle machine yet (the last work horse is still exiting), and with the sidecar down an
	# "ours" request would otherwise follow its predecessor at once while "none" never does.
	# MariaDB was checked too: no page is flushed during a request here, so there is nothing of
	# its to wait for.
	time.sleep(QUIET_GAP_S)


def _settle_worker(deadline: float, timeout_s: float) -> None:
	queue = get_queue("default")
	while queue.count or queue.started_job_registry.count:
		if time.monotonic() >= deadline:
			raise NotSettled(
				f"bench's worker still had {queue.count} queued and {queue.started_job_registry.count} running jobs "
				f"after {timeout_s:.0f} s: stopped (bench start?) or slower than settle_timeout_s allows"
			)
		time.sleep(0.005)


def _settle_deliveries(ours: tuple, deadline: float, timeout_s: float) -> None:
	while True:
		frappe.db.rollback()  # a fresh snapshot: the reports are written by the web process
		waiting = frappe.db.sql(
			"select count(*) from `tabIntegration Webhook Delivery` where webhook in %s and status in ('Queued', 'Sending')",
			(ours,),
		)[0][0]
		if not waiting:
			return
		if time.monotonic() >= deadline:
			raise NotSettled(
				f"{waiting} deliveries of the run's Integration Webhooks were still Queued or Sending after {timeout_s:.0f} s: "
				"the sidecar did not deliver them or did not report the outcomes (its log; Integration Settings → Sidecar API User)"
			)
		time.sleep(0.005)


def _await_sidecar_endpoints(names: list[str], url: str, timeout_s: float = 30) -> None:
	"""Until the sidecar answers GET /v1/endpoints/{name} with the run's receiver URL for every
	webhook of the run. The commit already PUT them; one it missed (the sidecar restarting just
	then) is PUT again here, as the minutely job would later. Raises SidecarNotReady at the timeout."""
	client = SidecarClient.from_settings(connect_timeout=1.0, read_timeout=5.0)
	missing, last_error = set(names), None
	deadline = time.monotonic() + timeout_s
	while missing:
		for name in sorted(missing):
			try:
				if client.get_endpoint(name).get("url") == url:
					missing.discard(name)
					continue
				last_error = f"the sidecar has another URL for {name}"
			except SidecarNotFound:
				last_error = f"the sidecar does not know {name}"
			except SidecarError as e:
				last_error = str(e)
				break  # unreachable or refusing: ask again after a pause
			try:
				if not config_sync.sync_webhook(name, client):
					last_error = f"the sidecar refused the configuration of {name} (Frappe's log says why)"
				frappe.db.commit()  # sidecar_synced
			except SidecarError as e:
				last_error = str(e)
				break
		if not missing:
			return
		if time.monotonic() >= deadline:
			raise SidecarNotReady(
				f"after {timeout_s:.0f} s the sidecar still lacks {len(missing)} of the run's {len(names)} endpoints "
				f"({last_error}); timing would start with every delivery left Queued"
			)
		time.sleep(0.2)


def _start_receiver() -> tuple[subprocess.Popen, str]:
	proc = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
	port = int(proc.stdout.readline())
	return proc, f"http://127.0.0.1:{port}/save-cost"


def _order(n: int, core_n: int) -> list[str]:
	"""`core_n` rounds: one core iteration, then the round's share of n none/ours pairs, ABBA."""
	order, pair = [], 0
	for r in range(core_n):
		order.append("core")
		for _ in range(n // core_n + (r < n % core_n)):
			order += ("none", "ours") if pair % 2 == 0 else ("ours", "none")
			pair += 1
	return order


def run(*args, **kwargs):
	"""See the module's docstring; refuses to start while another run holds the site."""
	with _run_lock():
		_run(*args, **kwargs)


def _run(
	n: int = 200,
	core_n: int = 20,
	webhooks: int = 10,
	warmup: int = 5,
	profile: int = 0,
	settle: int = 1,
	settle_timeout_s: float = 300,
):
	n, core_n, webhooks, warmup, profile, settle = int(n), int(core_n), int(webhooks), int(warmup), int(profile), int(settle)
	settle_timeout_s = float(settle_timeout_s)
	if not 1 <= core_n <= n:
		raise ValueError(f"core_n must be between 1 and n ({n}): each round has one core iteration and ≥ 1 none/ours pair")
	created = {"todos": [], "ours": [], "core": []}
	results = {config: {"request": [], "flush": [], "handoff": [], "background_cpu": []} for config in CONFIGS}
	background = _background_processes() if settle else None
	timers = _Timers()
	profiler = cProfile.Profile() if profile else None
	sidecar = _sidecar_state()
	receiver, url = _start_receiver()
	live = None

	def set_live(config: str) -> None:
		nonlocal live
		if config == live:
			return
		status = "Active" if config == "ours" else "Disabled"
		frappe.db.sql(f"update `tab{WEBHOOK}` set status = %s where name in %s", (status, tuple(created["ours"])))
		frappe.db.sql(
			f"update `tab{CORE_WEBHOOK}` set enabled = %s where name in %s", (int(config == "core"), tuple(created["core"]))
		)
		invalidate_webhook_map()
		frappe.cache.delete_value("webhooks")
		frappe.db.commit()
		get_webhook_map()  # refilled here, untimed: the next request reads them from Redis
		frappe.cache.get_value("webhooks", get_all_webhooks)
		live = config

	def iteration(existing: str, config: str, record: bool) -> None:
		doc = frappe.get_doc("ToDo", existing)
		doc.description = f"{TITLE_PREFIX}: the saved one, {time.time_ns()}"
		# what a fresh web request has not got yet: each webhook map is one Redis read away
		for key in (CACHE_KEY, "webhooks"):
			frappe.local.cache.pop(frappe.cache.make_key(key), None)
		timers.take()
		profiling = profiler and config == "ours" and record
		if profiling:
			profiler.enable()
		start = time.perf_counter_ns()
		new = frappe.get_doc({"doctype": "ToDo", "description": f"{TITLE_PREFIX} {config}"}).insert()
		doc.save()
		frappe.db.commit()
		elapsed = time.perf_counter_ns() - start
		if profiling:
			profiler.disable()
		created["todos"].append(new.name)
		flush, handed = timers.take()
		if settle:
			cpu_before = _cpu_ms(background)
			_settle(tuple(created["ours"]) if config == "ours" else (), sidecar == "up", settle_timeout_s)
			if record:
				results[config]["background_cpu"].append(_cpu_ms(background) - cpu_before)
		if record:
			results[config]["request"].append(elapsed / 1e6)
			if config == "ours":
				results[config]["flush"].append(flush / 1e6)
				results[config]["handoff"].append(handed / 1e6)

	try:
		_disable_others()
		_create_webhooks(created, webhooks, url)
		existing = frappe.get_doc({"doctype": "ToDo", "description": f"{TITLE_PREFIX}: the saved one"}).insert().name
		created["todos"].append(existing)
		frappe.db.commit()  # also syncs the endpoints to the sidecar
		if sidecar == "up":
			_await_sidecar_endpoints(created["ours"], url)
		timers.install()
		for config in CONFIGS:  # warm-up, not recorded; core's costs a minute an iteration
			set_live(config)
			for _ in range(1 if config == "core" else warmup):
				iteration(existing, config, False)
		for config in _order(n, core_n):
			if config == "core":
				gc.collect()
			set_live(config)
			iteration(existing, config, True)
	except Exception:
		traceback.print_exc()  # `bench execute` would hide it behind a NameError from its eval fallback
		raise
	finally:
		timers.uninstall()
		frappe.db.rollback()
		try:
			_cleanup(created)
		finally:
			receiver.kill()
			receiver.wait()

	if profiler:
		_print_profile(profiler)
	_report(results, webhooks, n, core_n, sidecar, settle, background)


def _create_webhooks(created: dict, webhooks: int, url: str) -> None:
	for i in range(webhooks):
		doc = frappe.get_doc(
			{
				"doctype": WEBHOOK,
				"title": f"{TITLE_PREFIX} {i + 1}",
				"reference_doctype": "ToDo",
				"events": [{"event": "after_insert"}, {"event": "on_update"}],
				"url": url,
			}
		).insert(ignore_permissions=True)
		created["ours"].append(doc.name)
		for event in ("after_insert", "on_update"):
			core = frappe.get_doc(
				{
					"doctype": CORE_WEBHOOK,
					"__newname": f"{TITLE_PREFIX} core {event} {i + 1}",
					"webhook_doctype": "ToDo",
					"webhook_docevent": event,
					"request_url": url,
					"request_method": "POST",
					"request_structure": "Form URL-Encoded",
					"webhook_data": [{"fieldname": "name", "key": "name"}, {"fieldname": "description", "key": "description"}],
					"enabled": 0,
				}
			).insert(ignore_permissions=True)
			created["core"].append(core.name)


def _disable_others() -> None:
	""""none" must mean zero webhooks on ToDo, of either kind."""
	ours = frappe.get_all(
		WEBHOOK, filters={"reference_doctype": "ToDo", "status": ("in", ("Active", "Paused"))}, fields=["name", "status"]
	)
	core = frappe.get_all(CORE_WEBHOOK, filters={"webhook_doctype": "ToDo", "enabled": 1}, pluck="name")
	saved = frappe.cache.get_value(OTHERS_KEY) or {"ours": {}, "core": []}
	saved["ours"].update({row.name: row.status for row in ours})
	saved["core"] = sorted(set(saved["core"]) | set(core))
	frappe.cache.set_value(OTHERS_KEY, saved)
	for name in ours:
		frappe.db.set_value(WEBHOOK, name.name, "status", "Disabled", update_modified=False)
	for name in core:
		frappe.db.set_value(CORE_WEBHOOK, name, "enabled", 0, update_modified=False)
	frappe.db.commit()


def cleanup() -> None:
	"""Remove what an interrupted run left behind and restore the webhooks it disabled."""
	created = {
		"ours": frappe.get_all(WEBHOOK, filters={"title": ("like", f"{TITLE_PREFIX} %")}, pluck="name"),
		"core": frappe.get_all(CORE_WEBHOOK, filters={"name": ("like", f"{TITLE_PREFIX} core %")}, pluck="name"),
		"todos": frappe.get_all("ToDo", filters={"description": ("like", f"{TITLE_PREFIX}%")}, pluck="name"),
	}
	_cleanup(created)
	frappe.cache.delete(frappe.cache.make_key(RUN_LOCK_KEY))
	print(f"removed {len(created['ours'])} + {len(created['core'])} webhooks and {len(created['todos'])} ToDos")


def _retrying(step, *args, tries: int = 8) -> None:
	"""Deleting deliveries can deadlock with the sidecar's report_deliveries (it locks the same
	rows FOR UPDATE while it is still reporting outcomes): roll back, wait, try again."""
	for attempt in range(tries):
		try:
			step(*args)
			frappe.db.commit()
			return
		except Exception as e:
			frappe.db.rollback()
			if attempt == tries - 1 or not (frappe.db.is_deadlocked(e) or frappe.db.is_timedout(e)):
				raise
			time.sleep(0.5 * (attempt + 1))


def _wait_for_background(timeout_s: float = 180) -> None:
	"""Let bench's worker send core's requests and the sidecar deliver and report ours."""
	deadline = time.monotonic() + timeout_s
	queue = get_queue("default")
	while time.monotonic() < deadline and (queue.count or queue.started_job_registry.count):
		time.sleep(0.5)
	try:
		client = SidecarClient.from_settings()
	except SidecarError:
		return
	while time.monotonic() < deadline:
		try:
			health = client.health()
		except SidecarError:
			return
		jobs = (health.get("delivery") or {}).get("queue") or {}
		if not any(jobs.get(k) for k in ("wait", "active", "delayed")):
			time.sleep(1)  # the last outcomes are reported in batches
			return
		time.sleep(0.5)


def _drop_core_jobs(webhooks: tuple) -> None:
	"""Core's jobs for the run's webhooks that bench's single worker has not reached yet (a run
	queues ~20 per iteration, far more than it sends meanwhile): they would only fail on the
	deleted webhooks and load the next run's measurements."""
	from rq.job import Job

	queue, names = get_queue("default"), set(webhooks)
	ids = queue.get_job_ids()
	for start in range(0, len(ids), 500):
		pipe = queue.connection.pipeline()
		for job in Job.fetch_many(ids[start : start + 500], connection=queue.connection):
			webhook = job and (job.kwargs or {}).get("kwargs", {}).get("webhook")
			if webhook and webhook.get("name") in names:
				queue.remove(job, pipeline=pipe)
				job.delete(pipeline=pipe, remove_from_queue=False)
		pipe.execute()


def _delete(doctype: str, name: str) -> None:
	if frappe.db.exists(doctype, name):
		frappe.delete_doc(doctype, name, ignore_permissions=True, force=True, delete_permanently=True)


def _delete_todos(chunk: tuple) -> None:
	frappe.db.sql("delete from `tabVersion` where ref_doctype = 'ToDo' and docname in %s", (chunk,))
	frappe.db.sql("delete from `tabToDo` where name in %s", (chunk,))


def _delete_request_logs(webhooks: tuple) -> None:
	frappe.db.sql("delete from `tabWebhook Request Log` where webhook in %s", (webhooks,))


def _restore_others() -> None:
	saved = frappe.cache.get_value(OTHERS_KEY) or {"ours": {}, "core": []}
	for name, status in saved["ours"].items():
		if frappe.db.exists(WEBHOOK, name):
			frappe.db.set_value(WEBHOOK, name, "status", status, update_modified=False)
	for name in saved["core"]:
		if frappe.db.exists(CORE_WEBHOOK, name):
			frappe.db.set_value(CORE_WEBHOOK, name, "enabled", 1, update_modified=False)
	invalidate_webhook_map()
	frappe.cache.delete_value("webhooks")


def _cleanup(created: dict) -> None:
	"""Every step on its own, so one failure does not leave the rest behind."""
	if created["ours"]:
		frappe.db.sql(f"update `tab{WEBHOOK}` set status = 'Disabled' where name in %s", (tuple(created["ours"]),))
	if created["core"]:
		frappe.db.sql(f"update `tab{CORE_WEBHOOK}` set enabled = 0 where name in %s", (tuple(created["core"]),))
	invalidate_webhook_map()
	frappe.cache.delete_value("webhooks")
	frappe.db.commit()
	_wait_for_background(timeout_s=30)
	# on_trash deletes each Integration Webhook's deliveries and, after commit, its sidecar endpoint
	steps = [(_delete, WEBHOOK, name) for name in created["ours"]]
	if created["core"]:
		_drop_core_jobs(tuple(created["core"]))
		steps.append((_delete_request_logs, tuple(created["core"])))
	steps += [(_delete, CORE_WEBHOOK, name) for name in created["core"]]
	todos = created["todos"]
	steps += [(_delete_todos, tuple(todos[i : i + 500])) for i in range(0, len(todos), 500)]
	steps.append((_restore_others,))
	failed = []
	for step, *args in steps:
		try:
			_retrying(step, *args)
		except Exception:
			failed.append(step.__name__)
			traceback.print_exc()
	if not failed:
		frappe.cache.delete_value(OTHERS_KEY)
	else:
		print(f"save_cost cleanup incomplete ({sorted(set(failed))}); run integrations_app.benchmarks.save_cost.cleanup")


def _summary(values: list[float]) -> tuple[float, float]:
	if not values:
		return 0.0, 0.0
	ordered = sorted(values)
	p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
	return round(statistics.median(ordered), 3), round(p95, 3)


def _print_profile(profiler: cProfile.Profile) -> None:
	out = io.StringIO()
	stats = pstats.Stats(profiler, stream=out)
	stats.sort_stats("cumulative").print_stats("integrations_app", 25)
	stats.sort_stats("tottime").print_stats(20)
	print(out.getvalue())


def _report(results: dict, webhooks: int, n: int, core_n: int, sidecar: str, settle: int, background: dict | None) -> None:
	mode = "each request alone (background work settled between requests)" if settle else "requests overlapping the background work"
	print(
		f"save_cost: ToDo insert() + save() + commit(), N={n} none and ours in ABBA pairs, {core_n} core, in {core_n} rounds, "
		f"{mode}; sidecar {sidecar}"
	)
	if background:
		print("background processes measured: " + ", ".join(f"{k} {[p.pid for p in v]}" for k, v in background.items()))
	header = f"{'configuration':<64}{'median ms':>10}{'p95 ms':>10}"
	print(header)
	print("-" * len(header))
	labels = {
		"none": "no webhooks on ToDo",
		"core": f"{webhooks} core Webhooks per event (after_insert, on_update)",
		"ours": f"{webhooks} Integration Webhooks (after_insert + on_update)",
	}
	summary = {config: _summary(results[config]["request"]) for config in CONFIGS}
	for config in CONFIGS:
		print(f"{labels[config]:<64}{summary[config][0]:>10.3f}{summary[config][1]:>10.3f}")
	if settle:
		for config in CONFIGS:
			bg = _summary(results[config]["background_cpu"])
			print(f"{'  background CPU per iteration, ' + config:<64}{bg[0]:>10.3f}{bg[1]:>10.3f}")
	flush, handed = _summary(results["ours"]["flush"]), _summary(results["ours"]["handoff"])
	print(f"{'  of which ours: before_commit row inserts':<64}{flush[0]:>10.3f}{flush[1]:>10.3f}")
	print(f"{'  of which ours: after_commit hand-off (XADD)':<64}{handed[0]:>10.3f}{handed[1]:>10.3f}")
	core_added = round(summary["core"][0] - summary["none"][0], 3)
	ours_added = round(summary["ours"][0] - summary["none"][0], 3)
	print(
		json.dumps(
			{
				"sidecar": sidecar,
				"none_ms": summary["none"][0],
				"core_ms": summary["core"][0],
				"ours_ms": summary["ours"][0],
				"core_added_ms": core_added,
				"ours_added_ms": ours_added,
				"ratio": round(ours_added / core_added, 3) if core_added > 0 else None,
				"none_p95_ms": summary["none"][1],
				"core_p95_ms": summary["core"][1],
				"ours_p95_ms": summary["ours"][1],
				"flush_ms": flush[0],
				"handoff_ms": handed[0],
				"handoff_p95_ms": handed[1],
				"webhooks": webhooks,
				"n": n,
				"core_n": core_n,
				"settle": settle,
				**(
					{"background_cpu_ms": {c: _summary(results[c]["background_cpu"])[0] for c in CONFIGS}}
					if settle
					else {}
				),
			}
		)
	)
