"""Connections: an account at a third-party API, configured in desk, called through the sidecar.

	from integrations_app.connections import call
	refund = call("Stripe Live", "POST", "/v1/refunds", json={...}, idempotency_key=key)

Errors: `integrations_app.connections.errors` (all subclasses of `CallError`).
"""

from integrations_app.connections import errors
from integrations_app.connections.proxy import ConnectionResponse, call

__all__ = ["ConnectionResponse", "call", "errors"]
