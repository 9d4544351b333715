"""Typed provider operations through a connection: `POST /v1/connections/{id}/call`.

`call(connection, operation, params, idempotency_key=...)` is the one door; the per-area modules
(`payments`, `email`, `sms`, `storage`) are thin, documented wrappers over it.
"""

from integrations_app.providers.call import call

__all__ = ["call"]
