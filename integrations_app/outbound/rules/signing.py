"""Webhook secrets and signatures, as the sidecar computes them.

Lets Python receivers (and our tests) verify what the sidecar sends:
- Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>` where
  key is the base64-decoded part of `whsec_…`; one `v1,` entry per active secret, space separated.
- Frappe-compatible: `X-Frappe-Webhook-Signature: base64(HMAC-SHA256(secret UTF-8, raw body))`.
"""

import base64
import binascii
import hashlib
import hmac
import os
import secrets as _secrets

STANDARD_SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for 24-64 random bytes.
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


def generate_standard_secret(nbytes: int = 32) -> str:
	return STANDARD_SECRET_PREFIX + base64.b64encode(os.urandom(nbytes)).decode("ascii")


def generate_frappe_secret() -> str:
	return _secrets.token_urlsafe(32)


def decode_standard_secret(secret: str) -> bytes:
	"""Key bytes of a `whsec_` secret; ValueError with a readable reason otherwise."""
	if not isinstance(secret, str) or not secret.startswith(STANDARD_SECRET_PREFIX):
		raise ValueError(f"A Standard Webhooks secret must start with {STANDARD_SECRET_PREFIX!r}")
	try:
		key = base64.b64decode(secret[len(STANDARD_SECRET_PREFIX) :], validate=True)
	except (binascii.Error, ValueError):
		raise ValueError("The part after 'whsec_' must be valid base64") from None
	if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
		raise ValueError(
			f"The secret must decode to {MIN_KEY_BYTES}-{MAX_KEY_BYTES} bytes, not {len(key)}"
		)
	return key


def _as_bytes(body: bytes | str) -> bytes:
	return body.encode("utf-8") if isinstance(body, str) else body


def sign_standard(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
	"""One `v1,<base64>` signature entry."""
	key = decode_standard_secret(secret)
	signed = f"{msg_id}.{int(timestamp)}.".encode() + _as_bytes(body)
	digest = hmac.new(key, signed, hashlib.sha256).digest()
	return "v1," + base64.b64encode(digest).decode("ascii")


def standard_signature_header(
	secrets: list[str], msg_id: str, timestamp: int, body: bytes | str
) -> str:
	"""`webhook-signature` value during rotation: one entry per active secret."""
	return " ".join(sign_standard(s, msg_id, timestamp, body) for s in secrets)


def verify_standard(
	header: str, secrets: list[str], msg_id: str, timestamp: int, body: bytes | str
) -> bool:
	"""True when any `v1,` entry of `header` matches any of `secrets` (constant-time compare)."""
	received = [part for part in (header or "").split(" ") if part.startswith("v1,")]
	for secret in secrets:
		expected = sign_standard(secret, msg_id, timestamp, body)
		if any(hmac.compare_digest(expected, candidate) for candidate in received):
			return True
	return False


def sign_frappe(secret: str, body: bytes | str) -> str:
	"""`X-Frappe-Webhook-Signature` value, as core Frappe's Webhook computes it."""
	digest = hmac.new(secret.encode("utf-8"), _as_bytes(body), hashlib.sha256).digest()
	return base64.b64encode(digest).decode("ascii")


def verify_frappe(header: str, secret: str, body: bytes | str) -> bool:
	return hmac.compare_digest(sign_frappe(secret, body), header or "")
