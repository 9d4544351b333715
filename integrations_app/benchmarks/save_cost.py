"""What the outbox adds to saving a document, measured on a real site.

    bench --site S execute integrations_app.benchmarks.save_cost.run
    bench --site S execute integrations_app.benchmarks.save_cost.run --kwargs '{"n": 300, "url": "http://127.0.0.1:9912/x"}'

One iteration = `frappe.get_doc({"doctype": "ToDo", ...}).insert()` + `.save()` of an existing
ToDo, timed inside the transaction (the doc_events handler evaluates the webhooks and builds the
payloads there), then `frappe.db.commit()` timed on its own: its before_commit writes the outbox
rows, its after_commit pushes them to the sidecar configured in Integration Settings.

Two configurations on ToDo: 0 live webhooks vs `webhooks` Active Integration Webhooks with empty
conditions (after_insert + on_update, pointing at `url`), run in alternating blocks (ABBA order)
so drift hits both alike. Each iteration drops the request-local copy of the webhook map, so it
pays the one Redis read a web request pays. Two phases:

1. `transaction`: the after-commit push is suppressed, so no sidecar delivery or report traffic
   competes with the measurement; gives the in-transaction cost (wall and this process's CPU)
   and the before_commit row inserts.
2. `commit`: the real push to the running sidecar; gives the cost of `frappe.db.commit()`.

Everything created is deleted at the end (ToDos with their Version rows, the webhooks with their
deliveries, the sidecar endpoints); other live webhooks on ToDo are set Disabled for the run and
restored afterwards. If a run is killed, `bench --site S execute
integrations_app.benchmarks.save_cost.cleanup` removes what it left and restores those webhooks. Prints a table, a one-line summary of what the user's request pays
(in-transaction save, commit incl. row inserts and the after-commit push, and both together, for
0 vs `webhooks` webhooks), then a JSON line {"save_ms_0", "save_ms_10", "added_ms", ...}
(`save_ms_*` = median in-transaction wall time of phase 1; `commit_ms_*`, `push_ms_10`,
`request_ms_*` = medians of phase 2).
"""

import cProfile
import gc
import io
import json
import pstats
import statistics
import time
import traceback

import frappe

from integrations_app.outbound import doc_events as event_outbox
from integrations_app.outbound import outbox as app_outbox
from integrations_app.outbound.webhook_map import CACHE_KEY, invalidate_webhook_map
from integrations_app.sidecar.client import SidecarClient, SidecarError

WEBHOOK = "Integration Webhook"
DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
TITLE_PREFIX = "save_cost benchmark"
# Statuses of the site's own ToDo webhooks while a run has them disabled (so `cleanup` can restore them after a crash)
OTHERS_KEY = "integrations_app:save_cost:disabled_webhooks"
METRICS = ("txn", "txn_cpu", "commit", "flush", "push")


class _Hooks:
	"""Wraps the outbox's before_commit flush and after_commit push to time them (or skip the push)."""

	def __init__(self):
		self.flush_ns = self.push_ns = 0
		self.push_enabled = True
		self._orig_flush = event_outbox.flush_pending
		self._orig_push = app_outbox._push_after_commit

	def install(self):
		def flush_pending():
			start = time.perf_counter_ns()
			try:
				self._orig_flush()
			finally:
				self.flush_ns += time.perf_counter_ns() - start

		def push_after_commit(*args, **kwargs):
			if not self.push_enabled:
				return  # the rows stay unacked; they go with the webhooks at the end
			start = time.perf_counter_ns()
			try:
				self._orig_push(*args, **kwargs)
			finally:
				self.push_ns += time.perf_counter_ns() - start

		# both are looked up by name when a transaction registers them
		event_outbox.flush_pending = flush_pending
		app_outbox._push_after_commit = push_after_commit

	def uninstall(self):
		event_outbox.flush_pending = self._orig_flush
		app_outbox._push_after_commit = self._orig_push

	def take(self) -> tuple[int, int]:
		values = (self.flush_ns, self.push_ns)
		self.flush_ns = self.push_ns = 0
		return values


def run(n: int = 300, webhooks: int = 10, block: int = 20, warmup: int = 20, url: str | None = None, profile: int = 0):
	n, webhooks, block, warmup, profile = int(n), int(webhooks), int(block), int(warmup), int(profile)
	url = url or "http://127.0.0.1:9912/save-cost"
	created_todos: list[str] = []
	bench_webhooks: list[str] = []
	others = frappe.get_all(
		WEBHOOK, filters={"reference_doctype": "ToDo", "status": ("in", ("Active", "Paused"))}, fields=["name", "status"]
	)
	hooks = _Hooks()
	phases = {phase: {0: {m: [] for m in METRICS}, webhooks: {m: [] for m in METRICS}} for phase in ("transaction", "commit")}
	profiler = cProfile.Profile() if profile else None
	live = None

	def set_live(config: int) -> None:
		nonlocal live
		if config != live:
			status = "Active" if config else "Disabled"
			frappe.db.sql(f"update `tab{WEBHOOK}` set status = %s where name in %s", (status, tuple(bench_webhooks)))
			invalidate_webhook_map()
			frappe.db.commit()
			live = config

	def iteration(existing: str, config: int, results: dict | None) -> None:
		doc = frappe.get_doc("ToDo", existing)
		doc.description = f"{TITLE_PREFIX}: the saved one, {time.time_ns()}"
		frappe.local.cache.pop(frappe.cache.make_key(CACHE_KEY), None)  # one Redis read per request
		hooks.take()
		profiling = profiler and config and results is not None
		if profiling:
			profiler.enable()
		cpu, start = time.process_time_ns(), time.perf_counter_ns()
		new = frappe.get_doc({"doctype": "ToDo", "description": f"{TITLE_PREFIX} {config}"}).insert()
		doc.save()
		txn, txn_cpu = time.perf_counter_ns() - start, time.process_time_ns() - cpu
		if profiling:
			profiler.disable()
		created_todos.append(new.name)
		start = time.perf_counter_ns()
		frappe.db.commit()
		commit = time.perf_counter_ns() - start
		flush, push = hooks.take()
		if results is not None:
			for metric, ns in zip(METRICS, (txn, txn_cpu, commit, flush, push)):
				results[config][metric].append(ns / 1e6)

	try:
		if others:  # "0 matching webhooks" must mean zero
			saved = {row.name: row.status for row in others}
			frappe.cache.set_value(OTHERS_KEY, {**(frappe.cache.get_value(OTHERS_KEY) or {}), **saved})
			for name in saved:
				frappe.db.set_value(WEBHOOK, name, "status", "Disabled", update_modified=False)
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
			bench_webhooks.append(doc.name)
		existing = frappe.get_doc({"doctype": "ToDo", "description": f"{TITLE_PREFIX}: the saved one"}).insert().name
		created_todos.append(existing)
		frappe.db.commit()  # also syncs the endpoints to the sidecar
		hooks.install()

		# ABBA blocks (0, W, W, 0, 0, W, ...) so drift hits both configurations alike
		order = []
		for k, size in enumerate(min(block, n - start) for start in range(0, n, block)):
			order += [(config, size) for config in ((0, webhooks) if k % 2 == 0 else (webhooks, 0))]

		for phase, results in phases.items():
			hooks.push_enabled = phase == "commit"
			for config in (0, webhooks):  # warm-up, not recorded
				set_live(config)
				for _ in range(warmup):
					iteration(existing, config, None)
			for config, size in order:
				set_live(config)
				gc.collect()
				for _ in range(size):
					iteration(existing, config, results)
			if profiler and phase == "transaction":  # profile phase 1 only
				_print_profile(profiler)
				profiler = None
	except Exception:
		traceback.print_exc()  # `bench execute` would hide it behind a NameError from its eval fallback
		raise
	finally:
		hooks.uninstall()
		frappe.db.rollback()
		_cleanup(bench_webhooks, created_todos)

	_report(phases, webhooks, n, others)


def cleanup() -> None:
	"""Remove what an interrupted run left behind and restore the webhooks it disabled."""
	webhooks = frappe.get_all(WEBHOOK, filters={"title": ("like", f"{TITLE_PREFIX} %")}, pluck="name")
	todos = frappe.get_all("ToDo", filters={"description": ("like", f"{TITLE_PREFIX}%")}, pluck="name")
	_cleanup(webhooks, todos)
	print(f"removed {len(webhooks)} webhooks and {len(todos)} ToDos")


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


def _wait_for_sidecar_queue(timeout_s: float = 60) -> None:
	"""Let the sidecar finish delivering and reporting before the rows are deleted."""
	try:
		client = SidecarClient.from_settings()
	except SidecarError:
		return
	deadline = time.monotonic() + timeout_s
	while time.monotonic() < deadline:
		try:
			queue = (client.health().get("delivery") or {}).get("queue") or {}
		except SidecarError:
			return
		if not any(queue.get(k) for k in ("wait", "active", "delayed")):
			time.sleep(1)  # the last outcomes are reported in batches
			return
		time.sleep(0.5)


def _delete_webhook(name: str) -> None:
	if frappe.db.exists(WEBHOOK, name):
		frappe.delete_doc(WEBHOOK, name, ignore_permissions=True, force=True, delete_permanently=True)


def _delete_todos(chunk: tuple) -> None:
	frappe.db.sql("delete from `tabVersion` where ref_doctype = 'ToDo' and docname in %s", (chunk,))
	frappe.db.sql("delete from `tabToDo` where name in %s", (chunk,))


def _restore_others() -> None:
	for name, status in (frappe.cache.get_value(OTHERS_KEY) or {}).items():
		if frappe.db.exists(WEBHOOK, name):
			frappe.db.set_value(WEBHOOK, name, "status", status, update_modified=False)
	invalidate_webhook_map()


def _cleanup(bench_webhooks: list[str], created_todos: list[str]) -> None:
	"""Every step on its own, so one failure does not leave the rest behind."""
	steps = []
	if bench_webhooks:
		frappe.db.sql(f"update `tab{WEBHOOK}` set status = 'Disabled' where name in %s", (tuple(bench_webhooks),))
		invalidate_webhook_map()
		frappe.db.commit()
		_wait_for_sidecar_queue()
	# on_trash deletes each webhook's deliveries and, after commit, its sidecar endpoint
	steps += [(_delete_webhook, name) for name in bench_webhooks]
	steps += [(_delete_todos, tuple(created_todos[i : i + 500])) for i in range(0, len(created_todos), 500)]
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
		print(f"save_cost cleanup incomplete ({failed}); run integrations_app.benchmarks.save_cost.cleanup")


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


def _report(phases: dict, webhooks: int, n: int, others: list) -> None:
	print(f"save_cost: ToDo insert() + save(), N={n} per configuration, ABBA-interleaved blocks")
	if others:
		print(f"(other live webhooks on ToDo were disabled for the run and restored: {[o.name for o in others]})")
	header = f"{'phase':<12}{'metric':<44}{'median ms':>10}{'p95 ms':>10}"
	print(header)
	print("-" * len(header))
	labels = {
		"txn": "insert+save in transaction (wall)",
		"txn_cpu": "insert+save in transaction (this process CPU)",
		"commit": "frappe.db.commit()",
		"flush": "  of which before_commit row inserts",
		"push": "  of which after_commit push to sidecar",
	}
	for phase, results in phases.items():
		for metric, label in labels.items():
			if phase == "transaction" and metric == "push" or phase == "commit" and metric in ("txn_cpu", "flush"):
				continue
			for config in (0, webhooks):
				med, p95 = _summary(results[config][metric])
				print(f"{phase:<12}{label + f', {config} webhooks':<44}{med:>10.3f}{p95:>10.3f}")
	t0, t10 = phases["transaction"][0], phases["transaction"][webhooks]
	c0, c10 = phases["commit"][0], phases["commit"][webhooks]
	save0, save10 = _summary(t0["txn"]), _summary(t10["txn"])
	cpu0, cpu10 = _summary(t0["txn_cpu"]), _summary(t10["txn_cpu"])
	commit0, commit10 = _summary(c0["commit"]), _summary(c10["commit"])
	push10 = _summary(c10["push"])
	# what the user's request pays in all: insert+save, then commit (rows + after-commit push)
	request0 = _summary([a + b for a, b in zip(c0["txn"], c0["commit"])])
	request10 = _summary([a + b for a, b in zip(c10["txn"], c10["commit"])])
	print(
		f"user's request with {webhooks} vs 0 webhooks (median ms): in-transaction save "
		f"{save10[0]:.3f} vs {save0[0]:.3f} (+{save10[0] - save0[0]:.3f}); commit incl. row inserts and push "
		f"{commit10[0]:.3f} vs {commit0[0]:.3f} (+{commit10[0] - commit0[0]:.3f}), of which push {push10[0]:.3f}; "
		f"save+commit {request10[0]:.3f} vs {request0[0]:.3f} (+{request10[0] - request0[0]:.3f})"
	)
	print(
		json.dumps(
			{
				"save_ms_0": save0[0],
				"save_ms_10": save10[0],
				"added_ms": round(save10[0] - save0[0], 3),
				"save_p95_ms_0": save0[1],
				"save_p95_ms_10": save10[1],
				"cpu_added_ms": round(cpu10[0] - cpu0[0], 3),
				"flush_ms_10": _summary(t10["flush"])[0],
				"commit_ms_0": commit0[0],
				"commit_ms_10": commit10[0],
				"commit_added_ms": round(commit10[0] - commit0[0], 3),
				"commit_p95_ms_0": commit0[1],
				"commit_p95_ms_10": commit10[1],
				"push_ms_10": push10[0],
				"push_p95_ms_10": push10[1],
				"request_ms_0": request0[0],
				"request_ms_10": request10[0],
				"request_added_ms": round(request10[0] - request0[0], 3),
				"webhooks": webhooks,
				"n": n,
			}
		)
	)
