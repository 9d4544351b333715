"""Shared pieces of the FrappeTestCase suites: a fake sidecar on 127.0.0.1 and factories."""

import json
import sys
import threading
from contextlib import ExitStack, contextmanager
from functools import partial, wraps
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from rq import Queue

from integrations_app.outbound import doc_events as outbox_events
from integrations_app.outbound import webhook_map
from integrations_app.outbound.webhook_map import clear_webhook_map
from integrations_app.sidecar import handoff
from integrations_app.sidecar.client import SidecarClient, SidecarUnavailable, reset_shared_session
from integrations_app.sync import config as sync_config

DELIVERY = "Integration Webhook Delivery"


class FakeSidecar:
	"""A real HTTP server in a thread that records requests and answers like the sidecar.

	`respond(method, path, body)` may be replaced per test; it returns (status, json_body), or
	DROP to close the connection without answering. `keep_alive=True` speaks HTTP/1.1 and keeps
	connections open like the real sidecar; each request records the client's port.
	"""

	DROP = object()
	running: set[str] = set()  # URLs of the servers up now

	def __init__(self, keep_alive: bool = False):
		self.requests: list[dict] = []
		self.respond = self.default_respond
		sidecar = self

		class Handler(BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

			def _handle(self):
				length = int(self.headers.get("Content-Length") or 0)
				raw = self.rfile.read(length) if length else b""
				body = json.loads(raw) if raw else None
				sidecar.requests.append(
					{
						"method": self.command,
						"path": self.path,
						"headers": dict(self.headers),
						"body": body,
						"client_port": self.client_address[1],
					}
				)
				reply = sidecar.respond(self.command, self.path, body)
				if reply is FakeSidecar.DROP:
					self.close_connection = True
					return
				status, answer = reply
				data = json.dumps(answer).encode() if answer is not None else b""
				self.send_response(status)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(data)))
				self.end_headers()
				self.wfile.write(data)

			do_GET = do_POST = do_PUT = do_DELETE = _handle

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

	@staticmethod
	def default_respond(method, path, body):
		if method == "POST" and path == "/v1/messages":
			return 202, {"accepted": [m["id"] for m in body["messages"]], "duplicates": [], "rejected": []}
		if path == "/healthz":
			return 200, {"status": "ok", "redis": "ok"}
		if method == "DELETE":
			return 204, None
		return 200, {}

	def __enter__(self):
		self.thread.start()
		FakeSidecar.running.add(self.url)
		return self

	def __exit__(self, *exc):
		FakeSidecar.running.discard(self.url)
		reset_shared_session()  # close kept-alive connections to this server
		self.server.shutdown()
		self.server.server_close()


def _forget_caches() -> None:
	frappe.clear_document_cache("Integration Settings", "Integration Settings")
	clear_webhook_map()
	sync_config.clear_profile_map()


_build_webhook_map = webhook_map._build


def _build_without(excluded: frozenset) -> dict:
	built = _build_webhook_map()
	return {dt: kept for dt, hooks in built.items() if (kept := [w for w in hooks if w["name"] not in excluded])}


_build_profile_map = sync_config._build_profile_map


def _profiles_without(excluded: frozenset) -> dict:
	built = _build_profile_map()
	return {dt: kept for dt, profiles in built.items() if (kept := [p for p in profiles if p["name"] not in excluded])}


class HeldJobs:
	"""Stands in for RQ while a test class runs: every job `frappe.enqueue` hands to a queue
	(at once, or after a commit) is kept here instead of reaching the site's live worker, which
	would run it against data the test then rolls back. Patched at `rq.Queue.enqueue_call`, the
	one call Frappe's enqueue ends in, so Frappe's own argument handling still runs."""

	def __init__(self):
		self.jobs: list[dict] = []

	def enqueue_call(self, queue, func, args=None, kwargs=None, **options):
		job = kwargs or {}  # Frappe's execute_job arguments: method, kwargs, site, user, ...
		self.jobs.append({"queue": queue.name, "method": job.get("method"), "kwargs": job.get("kwargs") or {}, "job_id": options.get("job_id")})

	def take(self, method: str | None = None) -> list[dict]:
		"""Remove and return the held jobs (of `method`, a dotted path)."""
		taken = [j for j in self.jobs if method is None or _method_name(j["method"]) == method]
		self.jobs = [j for j in self.jobs if j not in taken]
		return taken

	def run(self, method: str | None = None) -> list:
		"""Run the held jobs (of `method`) here, as the worker would; → their results."""
		return [frappe.get_attr(_method_name(j["method"]))(**j["kwargs"]) for j in self.take(method)]


def _method_name(method) -> str:
	return method if isinstance(method, str) else f"{method.__module__}.{method.__qualname__}"


class IntegrationsTestCase(FrappeTestCase):
	"""FrappeTestCase that rolls back after every test (webhooks on ToDo would otherwise fire
	in later tests) and drops the Redis copies of what was written (settings, webhook map).

	Tests see only the webhooks, streams and sync profiles they create: live ones the site already
	has (a development site may well have some on ToDo) are left out of the maps while a test runs,
	without writing to them.

	No job leaves the test process: `self.jobs` (HeldJobs) holds what was enqueued; a test runs
	them with `self.jobs.run()`. Held jobs are dropped after each test.

	Nor does anything reach the site's live sidecar: a call to the Sidecar URL the site had when
	the class started fails as if it were down and fails the test (a test configures a
	FakeSidecar instead), and the outbox hand-off goes to a stream of the test run's own, which
	no sidecar reads.

	Error Log is a MyISAM table, so the rollback keeps the rows a test's code logged: those made
	through `frappe.log_error` are deleted after each test."""

	jobs: HeldJobs
	error_logs: list[str]

	def run(self, result=None):
		site_webhooks = frozenset(
			frappe.get_all("Integration Webhook", pluck="name") + frappe.get_all("Integration Stream", pluck="name")
		)
		site_profiles = frozenset(frappe.get_all(sync_config.PROFILE, pluck="name"))
		with (
			patch.object(webhook_map, "_build", partial(_build_without, site_webhooks)),
			patch.object(sync_config, "_build_profile_map", partial(_profiles_without, site_profiles)),
		):
			clear_webhook_map()
			sync_config.clear_profile_map()
			try:
				return super().run(result)
			finally:
				clear_webhook_map()
				sync_config.clear_profile_map()

	@classmethod
	def setUpClass(cls):
		cls.jobs = HeldJobs()
		# before super(): FrappeTestCase's set-up may already write (test records) and commit
		jobs = cls.jobs
		cls.enterClassContext(patch.object(Queue, "enqueue_call", lambda queue, *a, **kw: jobs.enqueue_call(queue, *a, **kw)))
		cls.error_logs = logged = []
		real_log_error = frappe.log_error

		def log_error(*args, **kwargs):
			doc = real_log_error(*args, **kwargs)
			if doc is not None:
				logged.append(doc.name)
			return doc

		cls.enterClassContext(patch.object(frappe, "log_error", log_error))
		cls.live_sidecar_calls = _keep_off_live_sidecar(cls)
		cls.addClassCleanup(_forget_caches)  # registered first, so it runs after the rollback
		super().setUpClass()
		ensure_test_users()

	def tearDown(self):
		frappe.db.rollback()
		self.jobs.take()
		if self.error_logs:
			frappe.db.delete("Error Log", {"name": ("in", self.error_logs)})
			self.error_logs.clear()
		_forget_caches()
		reached, self.live_sidecar_calls[:] = list(self.live_sidecar_calls), []
		self.assertEqual(reached, [], "the test called the site's live sidecar (configure a FakeSidecar)")


def _keep_off_live_sidecar(cls) -> list[str]:
	"""Patches, for the class, what would reach the site's running sidecar; → the calls refused."""
	live = (frappe.db.get_single_value("Integration Settings", "sidecar_url") or "").rstrip("/")
	refused: list[str] = []
	real_request = SidecarClient.request

	def request(client, method, path, *args, **kwargs):
		if live and client.base_url == live:
			refused.append(f"{method} {path}")
			raise SidecarUnavailable(f"tests may not reach the site's live sidecar ({method} {path})")
		return real_request(client, method, path, *args, **kwargs)

	cls.enterClassContext(patch.object(SidecarClient, "request", request))
	key = f"{handoff.stream_key(frappe.local.site)}:tests"
	cls.enterClassContext(patch.object(handoff, "stream_key", lambda site=None: key))
	cls.addClassCleanup(lambda: handoff._connection().delete(key))
	return refused


def as_in_a_fresh_worker(test) -> None:
	"""For the rest of `test`, `frappe.realtime` is not imported, as in a background worker whose
	job runs before anything imports that submodule (web requests and the test runner do)."""
	realtime = sys.modules.pop("frappe.realtime")
	del frappe.realtime

	def restore():
		sys.modules["frappe.realtime"] = frappe.realtime = realtime

	test.addCleanup(restore)


def configure_sidecar(url: str, token: str = "test-sidecar-token") -> None:
	settings = frappe.get_single("Integration Settings")
	settings.sidecar_url = url
	settings.sidecar_token = token
	settings.save(ignore_permissions=True)
	frappe.clear_document_cache("Integration Settings", "Integration Settings")


@contextmanager
def configured_sidecar(respond=None, keep_alive: bool = False):
	"""A FakeSidecar the site is configured to call, answering with `respond` (the stock answers
	when None); yields it, its `requests` recorded."""
	with FakeSidecar(keep_alive=keep_alive) as sidecar:
		if respond is not None:
			sidecar.respond = respond
		configure_sidecar(sidecar.url)
		yield sidecar


def make_webhook(events=("after_insert",), reference_doctype="ToDo", **fields):
	doc = frappe.get_doc(
		{
			"doctype": "Integration Webhook",
			"title": fields.pop("title", "Test webhook"),
			"reference_doctype": reference_doctype,
			"url": fields.pop("url", "https://receiver.example.com/hook"),
			"events": [{"event": e} for e in events],
			**fields,
		}
	)
	return doc.insert(ignore_permissions=True)


def make_todo(description="integrations test"):
	return frappe.get_doc({"doctype": "ToDo", "description": description}).insert(ignore_permissions=True)


def flush() -> None:
	"""What commit does first: write the pending outbox rows (without committing)."""
	outbox_events.flush_pending()


def take_after_commit(func) -> list:
	"""Remove and return the after-commit callbacks (functools.partial) of `func` queued so far,
	so a test can run them itself without committing."""
	queue = frappe.db.after_commit._functions
	taken = [f for f in queue if getattr(f, "func", None) is func]
	for f in taken:
		queue.remove(f)
	return taken


def deliveries_for(doc, **filters) -> list:
	return frappe.get_all(
		DELIVERY,
		filters={"reference_doctype": doc.doctype, "reference_name": doc.name, **filters},
		fields=["name", "webhook", "event_type", "status", "payload", "last_error", "acked"],
		order_by="creation asc, name asc",
	)


@contextmanager
def simulated_transactions():
	"""Lets code that commits run inside the test's transaction (rolled back by tearDown): a commit
	runs the commit callbacks and sets a savepoint, a rollback returns to the last one. Those
	callbacks sync endpoints and connections to the sidecar: a FakeSidecar answers them unless the
	test has configured one of its own."""
	with ExitStack() as stack:
		if (frappe.get_cached_doc("Integration Settings").sidecar_url or "").rstrip("/") not in FakeSidecar.running:
			stack.enter_context(configured_sidecar())
		yield stack.enter_context(_savepoint_commits())


@contextmanager
def _savepoint_commits():
	db = frappe.db
	real_rollback = db.rollback
	savepoint = "integrations_test_commit"

	def commit():
		db.before_commit.run()
		db.savepoint(savepoint)
		db.after_commit.run()

	def rollback(*, save_point=None):
		if save_point:
			return real_rollback(save_point=save_point)
		db.before_commit.reset()
		db.after_commit.reset()
		db.sql(f"rollback to savepoint {savepoint}")

	db.savepoint(savepoint)
	with patch.object(db, "commit", commit), patch.object(db, "rollback", rollback):
		yield


# Roles Frappe gives by user type, never by the test.
AUTOMATIC_ROLES = frozenset({"All", "Guest", "Desk User"})
IM_USER = "integrations-im-only@example.com"
PLAIN_USER = "integrations-no-manager@example.com"
SM_USER = "integrations-sysmanager@example.com"
SIDECAR_USER = "integrations-sidecar-test@example.com"
TEST_USERS = {
	IM_USER: ("Integration Manager",),
	PLAIN_USER: ("Blogger",),  # a desk user without a manager role
	SM_USER: ("System Manager",),
	SIDECAR_USER: (),  # the sidecar's API user needs no role
}


def user_roles(email: str) -> set[str]:
	return set(frappe.get_roles(email)) - AUTOMATIC_ROLES


def ensure_test_users() -> None:
	"""The users tests act as, made once per site and committed like Frappe's test records
	(inserting a User takes seconds; per test that would be minutes)."""
	for email, roles in TEST_USERS.items():
		make_user(email, roles)
	frappe.db.commit()


def make_user(email: str, roles: tuple[str, ...] | list[str]) -> str:
	"""A user holding exactly `roles`, created with frappe.get_doc(...).insert(). Frappe gives
	System Manager to a site's first System User: it is taken back here, and the roles are
	checked, so a test never runs with more than it says."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
				"roles": [{"role": role} for role in roles],
			}
		).insert(ignore_permissions=True)
	frappe.db.delete("Has Role", {"parenttype": "User", "parent": email, "role": ("not in", [*roles, ""])})
	frappe.clear_cache(user=email)
	assert user_roles(email) == set(roles), f"{email} has {user_roles(email)}, not {set(roles)}"
	return email


def make_sidecar_user() -> str:
	"""The sidecar's API user (no roles) named in Integration Settings, until the test's rollback."""
	assert user_roles(SIDECAR_USER) == set(), user_roles(SIDECAR_USER)
	frappe.db.set_single_value("Integration Settings", "sidecar_api_user", SIDECAR_USER)
	return SIDECAR_USER


def as_sidecar(fn):
	"""`fn` called as the sidecar calls it: as the Sidecar API User."""

	@wraps(fn)
	def call(*args, **kwargs):
		previous = frappe.session.user
		frappe.set_user(make_sidecar_user())
		try:
			return fn(*args, **kwargs)
		finally:
			frappe.set_user(previous)

	return call
