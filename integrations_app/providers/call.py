"""Runs one named operation of a connection's provider in the sidecar (sidecar/README.md
"Operations"). The sidecar applies the connection's auth and call policy; Python never sees a
credential."""

from typing import Any

import frappe
from frappe import _
from frappe.utils import cint

from integrations_app.connections import errors
from integrations_app.connections.config import CONNECTION
from integrations_app.sidecar.client import SidecarClient, SidecarError

# As for proxied calls: the sidecar may wait up to max_wait_ms between attempts.
SIDECAR_WAIT_S = 30
SLACK_S = 5


def call(connection: str, operation: str, params: dict | None = None, *, idempotency_key: str | None = None) -> Any:
	"""Run `operation` (e.g. `payment_intents.create`) with `params` on Integration Connection
	`connection`; returns the operation's result. The same `idempotency_key` gives the same
	effect, however often the call is repeated. Raises a `connections.errors.CallError`
	subclass (`ProviderRejected`, `ProviderFailed`, `RateLimited`, `UpstreamTimeout`…).

	No permission check: this is for server code; desk reaches it through `api/` methods
	that check roles."""
	row = frappe.db.get_value(CONNECTION, connection, ["name", "sidecar_id", "timeout_ms", "max_attempts"], as_dict=True)
	if not row or not row.sidecar_id:
		raise errors.ConnectionNotFound(_("No Integration Connection {0}").format(repr(connection)))
	body: dict[str, Any] = {"operation": operation, "params": params or {}}
	if idempotency_key:
		body["idempotency_key"] = str(idempotency_key)
	# An operation may make a few requests (a lookup, then a create): allow for three.
	per_attempt_s = (cint(row.timeout_ms) or 30_000) / 1000
	read_timeout = 3 * per_attempt_s * max(1, cint(row.max_attempts) or 3) + SIDECAR_WAIT_S + SLACK_S
	try:
		answer = SidecarClient.from_settings().call_operation(row.sidecar_id, body, read_timeout=read_timeout)
	except SidecarError as e:
		raise errors.from_sidecar(e, row.name) from None
	return answer["result"]
