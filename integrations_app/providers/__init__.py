"""Typed provider operations through a connection: `POST /v1/connections/{id}/call`.

`call(connection, operation, params, idempotency_key=...)` is the one door; the per-area modules
(`payments`, `email`, `sms`, `storage`) are thin, documented wrappers over it.
"""

__all__ = ["call"]


def __getattr__(name: str):
	# Imported on first use: connections.config imports providers.catalogue, and call imports
	# connections.config — loading call with the package would close that cycle.
	if name == "call":
		from integrations_app.providers.call import call

		return call
	raise AttributeError(name)
