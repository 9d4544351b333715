"""Connections: an account at a third-party API, configured in desk, called through the sidecar.

	from integrations_app.connections import call
	refund = call("Stripe Live", "POST", "/v1/refunds", json={...}, idempotency_key=key)

Errors: `integrations_app.connections.errors` (all subclasses of `CallError`).
"""

from importlib import import_module

__all__ = ["ConnectionResponse", "call", "errors"]


def __getattr__(name: str):
	# Imported on first use, so that the Frappe-free `connections.rules` can be imported (and
	# tested by tests_pure) without Frappe. import_module, not `from … import`: the latter asks
	# this very function for a submodule not loaded yet.
	if name in ("call", "ConnectionResponse"):
		return getattr(import_module("integrations_app.connections.proxy"), name)
	if name == "errors":
		return import_module("integrations_app.connections.errors")
	raise AttributeError(name)
