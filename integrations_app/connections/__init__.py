"""Connections: an account at a third-party API, configured in desk, called through the sidecar.

	from integrations_app.connections import call
	refund = call("Stripe Live", "POST", "/v1/refunds", json={...}, idempotency_key=key)

Errors: `integrations_app.connections.errors` (all subclasses of `CallError`).

`call`, `ConnectionResponse` and `errors` are loaded on first use (PEP 562), so importing the
Frappe-free `connections.rules` (tested without a bench) does not import Frappe.
"""

import importlib

__all__ = ["ConnectionResponse", "call", "errors"]


def __getattr__(name: str):
	if name in ("call", "ConnectionResponse"):
		return getattr(importlib.import_module("integrations_app.connections.proxy"), name)
	if name == "errors":
		return importlib.import_module("integrations_app.connections.errors")
	raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
