"""Calling a third-party API through a connection: `POST /v1/connections/{id}/proxy`.

The sidecar adds the credentials (refreshing OAuth tokens before they expire), applies the one
outgoing policy (timeouts, retries only where safe, the shared rate limit, the circuit breaker)
and passes the answer back. Python never sees a credential.
"""

import base64
import json as jsonlib
from typing import Any

import frappe
from frappe import _
from frappe.utils import cint

from integrations_app.connections import errors
from integrations_app.connections.config import CONNECTION
from integrations_app.sidecar.client import SidecarClient, SidecarError

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The sidecar waits at most `max_wait_ms` (30 s) between attempts; its answer must find us listening.
SIDECAR_WAIT_S = 30
SLACK_S = 5


class ConnectionResponse(dict):
	"""What the third-party API answered (any status), shaped like a small `requests.Response`
	(`status_code`, `ok`, `headers`, `content`, `text`, `json()`, `raise_for_status()`).

	It is also a dict of plain data — `status_code`, `ok`, `headers`, `text`, `json` (the parsed
	body, None when it is not JSON), `attempts`, `duration_ms` — so it serialises as a whitelisted
	method's answer or from `bench execute`, and server scripts read it with `resp["json"]`."""

	def __init__(self, answer: dict):
		body = answer.get("body")
		if body is None:
			content = b""
		elif answer.get("body_encoding") == "base64":
			content = base64.b64decode(body)
		elif isinstance(body, str):
			content = body.encode()
		else:  # a sidecar that parsed JSON for us
			content = jsonlib.dumps(body).encode()
		self.content = content
		self.status_code: int = answer["status"]
		self.headers: dict[str, str] = answer.get("headers") or {}
		self.attempts: int = answer.get("attempts") or 1
		self.duration_ms: float = answer.get("duration_ms") or 0
		try:
			parsed = jsonlib.loads(content) if content else None
		except ValueError:
			parsed = None
		super().__init__(
			status_code=self.status_code,
			ok=self.ok,
			headers=self.headers,
			text=self.text,
			json=parsed,
			attempts=self.attempts,
			duration_ms=self.duration_ms,
		)

	@property
	def ok(self) -> bool:
		return 200 <= self.status_code < 400

	@property
	def text(self) -> str:
		return self.content.decode("utf-8", errors="replace")

	def json(self) -> Any:
		"""The body parsed as JSON (ValueError when it is not)."""
		return jsonlib.loads(self.content) if self.content else None

	def raise_for_status(self) -> None:
		if not self.ok:
			raise frappe.ValidationError(_("The API answered {0}").format(self.status_code))

	def __repr__(self) -> str:
		return f"<ConnectionResponse [{self.status_code}]>"


def _connection_row(connection: str) -> dict:
	row = frappe.db.get_value(
		CONNECTION,
		connection,
		["name", "sidecar_id", "timeout_ms", "max_attempts"],
		as_dict=True,
	)
	if not row or not row.sidecar_id:
		raise errors.ConnectionNotFound(_("No Integration Connection {0}").format(repr(connection)))
	return row


def call(
	connection: str,
	method: str,
	path: str,
	*,
	json: Any = None,
	data: str | bytes | None = None,
	query: dict | None = None,
	headers: dict | None = None,
	idempotency_key: str | None = None,
	idempotency_header: str | None = None,
	timeout_ms: int | None = None,
) -> ConnectionResponse:
	"""Call `method path` on the API behind Integration Connection `connection`.

	`path` is appended to the connection's Base URL (`/v1/refunds`); `json` is sent as JSON,
	`data` as it is (set a content-type in `headers`). `idempotency_key` makes a POST/PATCH
	safe to retry (sent as `Idempotency-Key`, or as `idempotency_header`, e.g.
	`PayPal-Request-Id`). Returns the API's answer whatever its status; raises a
	`connections.errors.CallError` subclass when the policy or the network stopped the call.

	No permission check: this is for server code. Desk users reach connections only through
	`api/connections.py`, which checks roles.
	"""
	method = (method or "").upper()
	if method not in METHODS:
		raise errors.InvalidCall(_("Method {0} is not one of {1}").format(method, ", ".join(sorted(METHODS))))
	if json is not None and data is not None:
		raise errors.InvalidCall(_("Pass json or data, not both"))
	row = _connection_row(connection)
	body: dict[str, Any] = {"method": method, "path": path}
	if query:
		body["query"] = {str(k): ([str(x) for x in v] if isinstance(v, (list, tuple)) else str(v)) for k, v in query.items()}
	if headers:
		body["headers"] = {str(k): str(v) for k, v in headers.items()}
	if json is not None:
		body["body"] = json
	elif data is not None:
		# Sent as it is when the caller names the content type (the sidecar's rule).
		body["body"] = data.decode() if isinstance(data, bytes) else data
	if idempotency_key:
		body["idempotency_key"] = str(idempotency_key)
	if idempotency_header:
		body["idempotency_header"] = idempotency_header
	if timeout_ms:
		body["timeout_ms"] = cint(timeout_ms)
	per_attempt_s = (cint(timeout_ms) or cint(row.timeout_ms) or 30_000) / 1000
	read_timeout = per_attempt_s * max(1, cint(row.max_attempts) or 3) + SIDECAR_WAIT_S + SLACK_S
	try:
		client = SidecarClient.from_settings()
		answer = client.proxy(row.sidecar_id, body, read_timeout=read_timeout)
	except SidecarError as e:
		raise errors.from_sidecar(e, row.name) from None
	return ConnectionResponse(answer)
