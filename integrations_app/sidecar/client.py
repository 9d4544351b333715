"""The one HTTP client from Frappe to the sidecar.

Base URL and Bearer token come from Integration Settings. Every failure is a SidecarError
subclass whose message says what went wrong without ever containing the token.

Connections are kept alive: every client made by `from_settings` shares one `requests.Session`
per process (`shared_session`), so the after-commit push of a user's request reuses a warm TCP
connection instead of opening one per commit. Sharing it is safe enough here because:

- Frappe serves requests from gunicorn *sync* workers (one request at a time per process) and runs
  jobs in RQ workers (one job at a time); the session is made per process id, so a forked worker
  never writes to a socket its parent opened.
- Where threads do share it (`bench serve` is threaded, gunicorn `gthread`), what they share is
  urllib3's connection pool, which is thread-safe: each request checks a connection out and back
  in. Nothing mutates the session after it is made (headers, auth and timeouts are per request),
  and its cookie jar accepts no cookies, so no per-user state can leak between requests.
- A pooled connection the sidecar closed while idle (Node closes them after 5 s) is detected by
  urllib3 before reuse; for the narrow race where it closes just as a request goes out, an
  idempotent call is sent once more on a fresh connection (`request(..., retry_once=True)`).
"""

import os
import threading
from functools import partial
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import quote

import frappe
import requests

SETTINGS = "Integration Settings"
DEFAULT_CONNECT_TIMEOUT_S = 3.0
DEFAULT_READ_TIMEOUT_S = 10.0


class SidecarError(Exception):
	"""Base class; `status_code` and `code` are set when the sidecar answered."""

	def __init__(
		self,
		message: str,
		status_code: int | None = None,
		code: str | None = None,
		details: Any = None,
		body: Any = None,
	):
		super().__init__(message)
		self.status_code = status_code
		self.code = code
		self.details = details
		self.body = body  # the parsed answer, e.g. /healthz's report when it says 503
		self.retry_after: str | None = None  # the sidecar's Retry-After (rate_limited, circuit_open)


class SidecarNotConfigured(SidecarError):
	"""No sidecar URL in Integration Settings."""


class SidecarUnavailable(SidecarError):
	"""Could not connect, or no answer in time."""


class SidecarAuthError(SidecarError):
	"""401/403: the token in Integration Settings is not the sidecar's SIDECAR_TOKEN."""


class SidecarNotFound(SidecarError):
	"""404 from the sidecar."""


class SidecarRequestError(SidecarError):
	"""Another 4xx: the sidecar refused what we sent."""


class SidecarServerError(SidecarError):
	"""5xx or an unreadable answer."""


def _quote(segment: str) -> str:
	return quote(str(segment), safe="")


_shared: tuple[int, requests.Session] | None = None
_shared_lock = threading.Lock()


def shared_session() -> requests.Session:
	"""The process's keep-alive session (see the module docstring for why sharing it is safe)."""
	global _shared
	pid = os.getpid()
	shared = _shared
	if shared is None or shared[0] != pid:
		with _shared_lock:
			if _shared is None or _shared[0] != pid:
				session = requests.Session()
				session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # keep no cookies
				_shared = (pid, session)
			shared = _shared
	return shared[1]


def reset_shared_session() -> None:
	"""Close the pooled connections (tests; or after changing the sidecar URL by hand)."""
	global _shared
	with _shared_lock:
		if _shared is not None:
			_shared[1].close()
		_shared = None


_tokens: dict[str, tuple[str, str | None]] = {}


def _token(settings) -> str | None:
	"""The decrypted Sidecar Token, kept per site for as long as Integration Settings is unchanged
	(a new token is saved with the document, which changes `modified`): decrypting it is a query
	plus a Fernet decryption, too much for every commit's push."""
	if not settings.sidecar_token:
		return None
	version = str(settings.modified)
	cached = _tokens.get(frappe.local.site)
	if cached and cached[0] == version:
		return cached[1]
	token = settings.get_password("sidecar_token", raise_exception=False)
	_tokens[frappe.local.site] = (version, token)
	return token


class SidecarClient:
	def __init__(
		self,
		base_url: str,
		token: str | None,
		*,
		connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
		read_timeout: float = DEFAULT_READ_TIMEOUT_S,
		session: requests.Session | None = None,
	):
		if not base_url:
			raise SidecarNotConfigured("Set the Sidecar URL in Integration Settings")
		self.base_url = base_url.rstrip("/")
		self._token = token
		self.timeout = (connect_timeout, read_timeout)
		self._session = session or requests.Session()

	@classmethod
	def from_settings(cls, *, connect_timeout: float | None = None, read_timeout: float | None = None) -> "SidecarClient":
		settings = frappe.get_cached_doc(SETTINGS)
		return cls(
			settings.sidecar_url,
			_token(settings),
			connect_timeout=connect_timeout or DEFAULT_CONNECT_TIMEOUT_S,
			read_timeout=read_timeout or DEFAULT_READ_TIMEOUT_S,
			session=shared_session(),
		)

	# --- transport

	def request(
		self,
		method: str,
		path: str,
		json_body: Any = None,
		*,
		expect_json: bool = True,
		retry_once: bool | None = None,
		read_timeout: float | None = None,
	) -> Any:
		"""`retry_once` (default: GET/PUT/DELETE): the call is idempotent, so a connection error
		(not a timeout) is retried once at once — a kept-alive connection may have just been closed."""
		url = self.base_url + path
		headers = {"Accept": "application/json"}
		if self._token:
			headers["Authorization"] = f"Bearer {self._token}"
		if retry_once is None:
			retry_once = method in ("GET", "PUT", "DELETE")
		timeout = (self.timeout[0], read_timeout) if read_timeout else self.timeout
		send = partial(
			self._session.request, method, url, json=json_body, headers=headers, timeout=timeout, allow_redirects=False
		)
		try:
			try:
				response = send()
			except requests.ConnectionError as e:
				if not retry_once or isinstance(e, requests.Timeout):
					raise
				response = send()
		except requests.Timeout:
			raise SidecarUnavailable(f"Sidecar at {self.base_url} did not answer {method} {path} in time") from None
		except requests.ConnectionError:
			raise SidecarUnavailable(f"Cannot connect to the sidecar at {self.base_url}") from None
		except requests.RequestException as e:
			raise SidecarUnavailable(f"Request to the sidecar failed: {type(e).__name__}") from None
		return self._handle(method, path, response, expect_json)

	def _handle(self, method: str, path: str, response: requests.Response, expect_json: bool) -> Any:
		status = response.status_code
		body: Any = None
		if response.content:
			try:
				body = response.json()
			except ValueError:
				body = None
		if 200 <= status < 300:
			if expect_json and response.content and body is None:
				raise SidecarServerError(f"Sidecar sent a non-JSON answer to {method} {path}", status)
			return body if body is not None else {}
		error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
		code = error.get("code")
		detail = error.get("message") or response.reason or "no details"
		message = f"Sidecar answered {status} to {method} {path}: {detail}"
		if status in (401, 403):
			cls = SidecarAuthError
			message = f"Sidecar refused the token ({status}); check Sidecar Token in Integration Settings"
		elif status == 404:
			cls = SidecarNotFound
		elif 400 <= status < 500:
			cls = SidecarRequestError
		else:
			cls = SidecarServerError
		exc = cls(message, status, code, error.get("details"), body)
		exc.retry_after = response.headers.get("Retry-After")
		raise exc

	# --- operations (DESIGN §3 and docs/api.md)

	def health(self) -> dict:
		return self.request("GET", "/healthz")

	def put_endpoint(self, endpoint_id: str, config: dict) -> dict:
		return self.request("PUT", f"/v1/endpoints/{_quote(endpoint_id)}", config)

	def get_endpoint(self, endpoint_id: str) -> dict:
		"""→ the endpoint's configuration (secrets and header values redacted), `status` and `stats`."""
		return self.request("GET", f"/v1/endpoints/{_quote(endpoint_id)}")

	def delete_endpoint(self, endpoint_id: str) -> dict:
		return self.request("DELETE", f"/v1/endpoints/{_quote(endpoint_id)}", expect_json=False)

	def post_messages(self, messages: list[dict]) -> dict:
		"""→ {accepted:[ids], duplicates:[ids], rejected:[{id, code, message}]}"""
		return self.request("POST", "/v1/messages", {"messages": messages}, retry_once=True)  # ids dedup

	def lookup_messages(self, ids: list[str]) -> dict:
		"""→ {found:{id: status}, missing:[ids]}"""
		return self.request("POST", "/v1/messages/lookup", {"ids": ids}, retry_once=True)

	def replay_message(self, message_id: str) -> dict:
		return self.request("POST", f"/v1/messages/{_quote(message_id)}/replay", {})

	def recover_endpoint(self, endpoint_id: str, since_iso: str) -> dict:
		return self.request("POST", f"/v1/endpoints/{_quote(endpoint_id)}/recover", {"since": since_iso})

	def put_inbound_endpoint(self, slug: str, config: dict) -> dict:
		return self.request("PUT", f"/v1/inbound-endpoints/{_quote(slug)}", config)

	def delete_inbound_endpoint(self, slug: str) -> dict:
		return self.request("DELETE", f"/v1/inbound-endpoints/{_quote(slug)}", expect_json=False)

	def get_inbound_endpoint(self, slug: str) -> dict:
		return self.request("GET", f"/v1/inbound-endpoints/{_quote(slug)}")

	def lookup_inbound_endpoints(self, slugs: list[str]) -> dict:
		"""→ {found:{slug: view with stats}, missing:[slugs]} (≤1,000 slugs, one round trip)"""
		return self.request("POST", "/v1/inbound-endpoints/lookup", {"slugs": slugs}, retry_once=True)

	# --- streams (DESIGN §3 "Streams")

	def put_stream(self, stream_id: str, config: dict) -> dict:
		return self.request("PUT", f"/v1/streams/{_quote(stream_id)}", config)

	def get_stream(self, stream_id: str) -> dict:
		"""→ the stream's configuration and `stats` (connected clients and their lag)."""
		return self.request("GET", f"/v1/streams/{_quote(stream_id)}")

	def delete_stream(self, stream_id: str) -> dict:
		return self.request("DELETE", f"/v1/streams/{_quote(stream_id)}", expect_json=False)

	def put_stream_connector(self, connector_id: str, config: dict) -> dict:
		return self.request("PUT", f"/v1/stream-connectors/{_quote(connector_id)}", config)

	def get_stream_connector(self, connector_id: str) -> dict:
		"""→ the connector's configuration, `status` and `history` (its last reconnects)."""
		return self.request("GET", f"/v1/stream-connectors/{_quote(connector_id)}")

	def delete_stream_connector(self, connector_id: str) -> dict:
		return self.request("DELETE", f"/v1/stream-connectors/{_quote(connector_id)}", expect_json=False)

	# --- connections (sidecar/README.md "Connections and OAuth 2")

	def put_connection(self, connection_id: str, config: dict) -> dict:
		return self.request("PUT", f"/v1/connections/{_quote(connection_id)}", config)

	def get_connection(self, connection_id: str) -> dict:
		return self.request("GET", f"/v1/connections/{_quote(connection_id)}")

	def delete_connection(self, connection_id: str) -> dict:
		return self.request("DELETE", f"/v1/connections/{_quote(connection_id)}", expect_json=False)

	def disconnect_connection(self, connection_id: str) -> dict:
		"""Forget the tokens and revoke them at the provider (RFC 7009) →
		{connection_id, status, revoked: [{token, ok, error?}], revocation}."""
		return self.request("POST", f"/v1/connections/{_quote(connection_id)}/disconnect", {}, read_timeout=30.0)

	def connection_stats(self, connection_ids: list[str], minutes: int) -> dict:
		"""Per-minute stats summed over every sidecar process → {at, minutes, latency_buckets_ms,
		connections: {id: {breaker, totals, series}}}."""
		return self.request("POST", "/v1/connections/stats/lookup", {"ids": connection_ids, "minutes": minutes}, retry_once=True)

	def proxy(self, connection_id: str, body: dict, read_timeout: float) -> dict:
		"""→ {status, headers, body, body_encoding, attempts, duration_ms}. Never repeated here:
		the sidecar's policy decides what may be retried."""
		return self.request(
			"POST", f"/v1/connections/{_quote(connection_id)}/proxy", body, retry_once=False, read_timeout=read_timeout
		)

	def put_object(self, connection_id: str, key: str, data, content_type: str, read_timeout: float) -> dict:
		"""`PUT /v1/connections/{id}/objects/{key}`: `data` (bytes or a binary file) streamed to the
		connection's bucket; → {key, size, etag, parts}. Never repeated here: a failed upload has
		already been aborted by the sidecar, and the caller decides whether to try again."""
		path = f"/v1/connections/{_quote(connection_id)}/objects/{quote(key, safe='/')}"
		headers = {"Accept": "application/json", "Content-Type": content_type}
		if self._token:
			headers["Authorization"] = f"Bearer {self._token}"
		try:
			response = self._session.put(self.base_url + path, data=data, headers=headers, timeout=(self.timeout[0], read_timeout), allow_redirects=False)
		except requests.Timeout:
			raise SidecarUnavailable(f"Sidecar at {self.base_url} did not finish PUT {path} in time") from None
		except requests.RequestException:
			raise SidecarUnavailable(f"The upload to the sidecar at {self.base_url} failed") from None
		return self._handle("PUT", path, response, True)

	def call_operation(self, connection_id: str, body: dict, read_timeout: float) -> dict:
		"""→ {provider, operation, result}. Never repeated here: the operation's idempotency key
		and the sidecar's policy decide what may be retried."""
		return self.request(
			"POST", f"/v1/connections/{_quote(connection_id)}/call", body, retry_once=False, read_timeout=read_timeout
		)

	def oauth_start(self, connection_id: str, user: str, redirect_uri: str) -> dict:
		"""→ {authorize_url, state, expires_at}"""
		return self.request(
			"POST", f"/v1/connections/{_quote(connection_id)}/oauth/start", {"user": user, "redirect_uri": redirect_uri}
		)

	def oauth_callback(self, body: dict) -> dict:
		"""{state, user, code | error, error_description?} → {connection_id, status, expires_at, scope, connected_by, connected_at}"""
		return self.request("POST", "/v1/oauth/callback", body, retry_once=False, read_timeout=40.0)

	# --- data sync (docs/sync.md §5)

	def put_sync_profile(self, profile_id: str, config: dict) -> dict:
		return self.request("PUT", f"/v1/sync/profiles/{_quote(profile_id)}", config)

	def delete_sync_profile(self, profile_id: str) -> dict:
		return self.request("DELETE", f"/v1/sync/profiles/{_quote(profile_id)}", expect_json=False)

	def start_sync_run(self, profile_id: str, kind: str) -> dict:
		"""→ the Run (status queued), or the one already queued/running with `already_running`."""
		return self.request("POST", f"/v1/sync/profiles/{_quote(profile_id)}/runs", {"kind": kind}, retry_once=False)

	def get_sync_run(self, profile_id: str, run_id: str) -> dict:
		return self.request("GET", f"/v1/sync/profiles/{_quote(profile_id)}/runs/{_quote(run_id)}")

	def retry_failed_sync(self, profile_id: str) -> dict:
		return self.request("POST", f"/v1/sync/profiles/{_quote(profile_id)}/retry-failed", {}, retry_once=False)

	def resync_record(self, profile_id: str, body: dict) -> dict:
		"""{local_name?, external_id?} → {run_id}"""
		return self.request("POST", f"/v1/sync/profiles/{_quote(profile_id)}/records/resync", body, retry_once=False)

	def resolve_sync_conflict(self, profile_id: str, body: dict) -> dict:
		"""{local_name?, external_id?, take, values?} → {status, local_name, external_id}; 409 not_in_conflict."""
		return self.request(
			"POST", f"/v1/sync/profiles/{_quote(profile_id)}/conflicts/resolve", body, retry_once=False, read_timeout=30.0
		)
