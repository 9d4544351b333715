"""What the outbox adds to saving a document, measured on a real site.

    bench --site S execute integrations_app.benchmarks.save_cost.run
    bench --site S execute integrations_app.benchmarks.save_cost.run --kwargs '{"n": 300, "url": "http://127.0.0.1:9912/x"}'

One iteration = `frappe.get_doc({"doctype": "ToDo", ...}).insert()` + `.save()` of an existing
ToDo, timed inside the transaction (the doc_events handler evaluates the webhooks and builds the
payloads there), then `frappe.db.commit()` timed on its own: its before_commit writes the outbox
rows and its after_commit pushes them to the sidecar configured in Integration Settings.

Two configurations on ToDo: 0 live webhooks vs `webhooks` Active Integration Webhooks with empty
conditions (after_insert + on_update, pointing at `url`), run in alternating blocks (ABBA order)
so drift and background noise hit both alike. Each iteration drops the request-local copy of
the webhook map, so it pays the one Redis read a web request pays.

Everything created is deleted at the end (ToDos with their Version rows, the webhooks with their
deliveries); other live webhooks on ToDo are set Disabled for the run and restored afterwards.
Prints a table, then a JSON line: {"save_ms_0", "save_ms_10", "added_ms", ...}.
"""

import cProfile
import gc
import io
import json
import pstats
import statistics
import time

import frappe

from integrations_app import outbox as app_outbox
from integrations_app.events import outbox as event_outbox
from integrations_app.events.webhook_map import CACHE_KEY, invalidate_webhook_map

WEBHOOK = "Integration Webhook"
DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
TITLE_PREFIX = "save_cost benchmark"


def _ms(ns: int) -> float:
	return ns / 1e6


def _p(values: list[float], q: float) -> float:
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _Timers:
	"""Wraps the outbox's before_commit flush and after_commit push to time them separately."""

	def __init__(self):
		self.flush_ns = 0
		self.push_ns = 0
		self._orig_flush = event_outbox.flush_pending
		self._orig_push = app_outbox._push_after_commit

	def install(self):
		def flush_pending():
			start = time.perf_counter_ns()
			try:
				self._orig_flush()
			finally:
				self.flush_ns += time.perf_counter_ns() - start

		def push_after_commit(names):
			start = time.perf_counter_ns()
			try:
				self._orig_push(names)
			finally:
				self.push_ns += time.perf_counter_ns() - start

		event_outbox.flush_pending = flush_pending
		app_outbox._push_after_commit = push_after_commit

	def uninstall(self):
		event_outbox.flush_pending = self._orig_flush
		app_outbox._push_after_commit = self._orig_push

	def take(self) -> tuple[int, int]:
		values = (self.flush_ns, self.push_ns)
		self.flush_ns = self.push_ns = 0
		return values


def _set_status(names: list[str], status: str) -> None:
	if names:
		frappe.db.sql(f"update `tab{WEBHOOK}` set status = %s where name in %s", (status, tuple(names)))
	invalidate_webhook_map()
	frappe.db.commit()


def _drop_local_map() -> None:
	frappe.local.cache.pop(frappe.cache.make_key(CACHE_KEY), None)


def run(n: int = 300, webhooks: int = 10, block: int = 20, warmup: int = 20, url: str | None = None, profile: int = 0):
	n, webhooks, block, warmup, profile = int(n), int(webhooks), int(block), int(warmup), int(profile)
	url = url or "http://127.0.0.1:9912/save-cost"
	created_todos: list[str] = []
	bench_webhooks: list[str] = []
	others = frappe.get_all(
		WEBHOOK, filters={"reference_doctype": "ToDo", "status": ("in", ("Active", "Paused"))}, fields=["name", "status"]
	)
	timers = _Timers()
	results = {0: {"txn": [], "commit": [], "flush": [], "push": []}, webhooks: {"txn": [], "commit": [], "flush": [], "push": []}}
	profiler = cProfile.Profile() if profile else None
	try:
		for row in others:  # "0 matching webhooks" must mean zero
			frappe.db.set_value(WEBHOOK, row.name, "status", "Disabled", update_modified=False)
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
		existing = frappe.get_doc({"doctype": "ToDo", "description": f"{TITLE_PREFIX}: the saved one"}).insert()
		created_todos.append(existing.name)
		frappe.db.commit()  # syncs the endpoints to the sidecar

		timers.install()

		def iteration(config: int, i: int, record: bool) -> None:
			doc = frappe.get_doc("ToDo", existing.name)
			doc.description = f"{TITLE_PREFIX}: the saved one, save {config}/{i}"
			_drop_local_map()
			timers.take()
			if profiler and config and record:
				profiler.enable()
			start = time.perf_counter_ns()
			new = frappe.get_doc({"doctype": "ToDo", "description": f"{TITLE_PREFIX} {config}/{i}"}).insert()
			doc.save()
			txn = time.perf_counter_ns() - start
			if profiler and config and record:
				profiler.disable()
			created_todos.append(new.name)
			start = time.perf_counter_ns()
			frappe.db.commit()
			commit = time.perf_counter_ns() - start
			flush, push = timers.take()
			if record:
				r = results[config]
				r["txn"].append(_ms(txn))
				r["commit"].append(_ms(commit))
				r["flush"].append(_ms(flush))
				r["push"].append(_ms(push))

		# ABBA blocks (0, W, W, 0, 0, W, ...) so drift hits both configurations alike
		sizes = [min(block, n - start) for start in range(0, n, block)]
		order = []
		for k, size in enumerate(sizes):
			for config in ((0, webhooks) if k % 2 == 0 else (webhooks, 0)):
				order.append((config, size))
		live = None
		for config in (0, webhooks):  # warm-up of both paths, not recorded
			_set_status(bench_webhooks, "Active" if config else "Disabled")
			for i in range(warmup):
				iteration(config, -i - 1, record=False)
			live = config
		for config, size in order:
			if config != live:
				_set_status(bench_webhooks, "Active" if config else "Disabled")
				live = config
			gc.collect()
			for _ in range(size):
				iteration(config, len(results[config]["txn"]), record=True)
	finally:
		timers.uninstall()
		frappe.db.rollback()
		for name in bench_webhooks:  # deletes their deliveries; the sidecar endpoint is deleted after commit
			frappe.delete_doc(WEBHOOK, name, ignore_permissions=True, force=True, delete_permanently=True)
		frappe.db.commit()
		for start in range(0, len(created_todos), 500):
			chunk = tuple(created_todos[start : start + 500])
			frappe.db.sql("delete from `tabVersion` where ref_doctype = 'ToDo' and docname in %s", (chunk,))
			frappe.db.sql("delete from `tabToDo` where name in %s", (chunk,))
			# the rows of deleted webhooks are gone already; this catches any left by another path
			frappe.db.sql(
				f"delete from `tab{ATTEMPT}` where parenttype = %s and parent in (select name from `tab{DELIVERY}` where reference_doctype = 'ToDo' and reference_name in %s)",
				(DELIVERY, chunk),
			)
			frappe.db.sql(f"delete from `tab{DELIVERY}` where reference_doctype = 'ToDo' and reference_name in %s", (chunk,))
		for row in others:
			frappe.db.set_value(WEBHOOK, row.name, "status", row.status, update_modified=False)
		invalidate_webhook_map()
		frappe.db.commit()

	_report(results, webhooks, n, others, profiler)


def _summary(values: list[float]) -> tuple[float, float]:
	return (round(statistics.median(values), 3), round(_p(values, 0.95), 3)) if values else (0.0, 0.0)


def _report(results: dict, webhooks: int, n: int, others: list, profiler) -> None:
	zero, many = results[0], results[webhooks]
	print(f"save_cost: ToDo insert + save, N={n} per configuration, interleaved ABBA blocks")
	if others:
		print(f"(other live webhooks on ToDo disabled during the run and restored: {[o.name for o in others]})")
	header = f"{'':<34}{'median ms':>11}{'p95 ms':>10}"
	print(header)
	print("-" * len(header))
	rows = [
		("in transaction, 0 webhooks", zero["txn"]),
		(f"in transaction, {webhooks} webhooks", many["txn"]),
		("commit, 0 webhooks", zero["commit"]),
		(f"commit, {webhooks} webhooks", many["commit"]),
		(f"  before_commit row inserts ({webhooks})", many["flush"]),
		(f"  after_commit push ({webhooks})", many["push"]),
		("insert+save+commit, 0 webhooks", [a + b for a, b in zip(zero["txn"], zero["commit"])]),
		(f"insert+save+commit, {webhooks} webhooks", [a + b for a, b in zip(many["txn"], many["commit"])]),
	]
	for label, values in rows:
		med, p95 = _summary(values)
		print(f"{label:<34}{med:>11.3f}{p95:>10.3f}")
	if profiler:
		out = io.StringIO()
		pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
		print(out.getvalue())
	s0, s10 = _summary(zero["txn"]), _summary(many["txn"])
	c0, c10 = _summary(zero["commit"]), _summary(many["commit"])
	print(
		json.dumps(
			{
				"save_ms_0": s0[0],
				"save_ms_10": s10[0],
				"added_ms": round(s10[0] - s0[0], 3),
				"save_p95_ms_0": s0[1],
				"save_p95_ms_10": s10[1],
				"commit_ms_0": c0[0],
				"commit_ms_10": c10[0],
				"commit_added_ms": round(c10[0] - c0[0], 3),
				"webhooks": webhooks,
				"n": n,
			}
		)
	)
