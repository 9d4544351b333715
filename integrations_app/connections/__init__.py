"""Connections: an account at a third-party API, configured in desk, called through the sidecar.

	from integrations_app.connections import call
	refund = call("Stripe Live", "POST", "/v1/refunds", json={...}, idempotency_key=key)

Errors: `integrations_app.connections.errors` (all subclasses of `CallError`).
"""

__all__ = ["ConnectionResponse", "call", "errors"]


def __getattr__(name: str):
	# Imported on first use, so that the Frappe-free `connections.rules` can be imported (and
	# tested by tests_pure) without Frappe.
	if name in ("call", "ConnectionResponse"):
		from integrations_app.connections import proxy

		return getattr(proxy, name)
	if name == "errors":
		from integrations_app.connections import errors

		return errors
	raise AttributeError(name)
