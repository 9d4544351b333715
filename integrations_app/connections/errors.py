"""What stopped a call through a connection, one class per sidecar error code
(sidecar/README.md "Errors"). An upstream that answered — even 4xx or 5xx — is not an error
here: `call()` returns its response, as `requests` does.

All are `frappe.ValidationError`s with the HTTP status that fits, so a whitelisted method or
server script that lets one escape gives the caller a readable message and a sensible status.
Messages never hold a credential: the sidecar's never do, and nothing is added here but names.
"""

import frappe

from integrations_app.sidecar.client import SidecarError, SidecarNotConfigured, SidecarUnavailable


class CallError(frappe.ValidationError):
	"""Base class. `code` is the sidecar's error code, `details` its details (never secrets),
	`retry_after` seconds when the sidecar said when to come back."""

	code = "call_failed"
	http_status_code = 502

	def __init__(self, message: str, *, code: str | None = None, details=None, retry_after: float | None = None):
		super().__init__(message)
		if code:
			self.code = code
		self.details = details
		self.retry_after = retry_after


class ConnectionNotFound(CallError):
	code, http_status_code = "not_found", 404


class InvalidCall(CallError):
	"""The call itself was refused (bad path, method, header…)."""

	code, http_status_code = "invalid_request", 400


class ConnectionDisabled(CallError):
	code, http_status_code = "connection_disabled", 409


class NotConnected(CallError):
	"""An authorization-code connection nobody has connected an account to yet."""

	code, http_status_code = "not_connected", 409


class ConnectionExpired(CallError):
	"""The provider refused the refresh token or credentials: reconnect."""

	code, http_status_code = "connection_expired", 409


class RateLimited(CallError):
	"""The connection's own rate limit had no slot in time (or the sidecar is overloaded)."""

	code, http_status_code = "rate_limited", 429


class CircuitOpen(CallError):
	"""Too many consecutive failures: calls are refused until the breaker's next probe."""

	code, http_status_code = "circuit_open", 503


class UpstreamTimeout(CallError):
	code, http_status_code = "timeout", 504


class UpstreamUnreachable(CallError):
	"""DNS, connect, reset, or refused by the SSRF guard (`details["kind"]`)."""

	code, http_status_code = "upstream_error", 502


class ResponseTooLarge(CallError):
	code, http_status_code = "response_too_large", 502


class OAuthError(CallError):
	"""The token endpoint failed or refused (other than invalid_grant)."""

	code, http_status_code = "oauth_error", 502


class SecretsUnreadable(CallError):
	"""The sidecar cannot open the stored credentials (key ring changed)."""

	code, http_status_code = "secrets_unreadable", 500


class ProviderRejected(CallError):
	"""An operation's provider refused the request (its 4xx): `details` has `provider`, `status`,
	`provider_code` and what else the provider said (e.g. Stripe's `decline_code`)."""

	code, http_status_code = "provider_rejected", 422


class ProviderFailed(CallError):
	"""An operation's provider failed (5xx after retries, or an answer not in its documented shape)."""

	code, http_status_code = "provider_error", 502


class ProviderUnset(CallError):
	"""The connection names no provider API: set its "API" field to call operations."""

	code, http_status_code = "provider_unset", 409


class SidecarDown(CallError):
	"""The sidecar is not configured, cannot be reached, or failed."""

	code, http_status_code = "sidecar_unavailable", 503


BY_CODE: dict[str, type[CallError]] = {
	cls.code: cls
	for cls in (
		ConnectionNotFound,
		InvalidCall,
		ConnectionDisabled,
		NotConnected,
		ConnectionExpired,
		RateLimited,
		CircuitOpen,
		UpstreamTimeout,
		UpstreamUnreachable,
		ResponseTooLarge,
		OAuthError,
		SecretsUnreadable,
		ProviderRejected,
		ProviderFailed,
		ProviderUnset,
	)
}
BY_CODE["invalid_json"] = InvalidCall


def _seconds(value) -> float | None:
	try:
		return float(value) if value is not None else None
	except (TypeError, ValueError):
		return None


def from_sidecar(error: SidecarError, connection: str) -> CallError:
	"""The typed error for what the sidecar answered about a call to `connection`."""
	if isinstance(error, (SidecarUnavailable, SidecarNotConfigured)) or error.code in (None, "unavailable", "internal", "unauthenticated"):
		return SidecarDown(f"{connection}: {error}", code="sidecar_unavailable", retry_after=_seconds(error.retry_after))
	cls = BY_CODE.get(error.code, CallError)
	message = error.body["error"].get("message") if isinstance(error.body, dict) and isinstance(error.body.get("error"), dict) else None
	return cls(
		f"{connection}: {message or error}",
		code=error.code,
		details=error.details,
		retry_after=_seconds(error.retry_after),
	)
