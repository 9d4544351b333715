"""Stream access tokens: generated here, stored only as their SHA-256 hash.

A consumer presents the token itself (`Authorization: Bearer` or `?token=`); the sidecar keeps
only hashes (PUT /v1/streams/{stream} `token_hashes`) and hashes what it is given. The token is
shown once, when it is created; afterwards only its label and last four characters identify it.
"""

import hashlib
import hmac
import re
import secrets

PREFIX = "strm_"
RANDOM_BYTES = 32  # 256 bits: the hash cannot be reversed by guessing
LAST_CHARS = 4


def new_token() -> str:
	return PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def hash_token(token: str) -> str:
	"""Lower-case hex SHA-256 of the token's UTF-8 bytes: what the sidecar compares."""
	return hashlib.sha256(token.encode("utf-8")).hexdigest()


def last_chars(token: str) -> str:
	return token[-LAST_CHARS:]


def matches(token: str, token_hash: str) -> bool:
	return hmac.compare_digest(hash_token(token), token_hash)


FILTER_FIELD_RE = re.compile(r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")
MAX_FILTER_FIELD = 200
MAX_FILTER_VALUE = 1000


class TokenFilterError(ValueError):
	pass


def check_filter(field: str | None, value: str | None) -> tuple[str | None, str | None]:
	"""A token's optional filter: its consumers get only events whose data has `value` at the dot
	path `field` (compared as text by the sidecar). Both or neither → (field, value) or (None, None)."""
	field, value = (field or "").strip(), (value or "").strip()
	if not field and not value:
		return None, None
	if not field or not value:
		raise TokenFilterError("A filter needs both a field and a value")
	if len(field) > MAX_FILTER_FIELD or not FILTER_FIELD_RE.match(field):
		raise TokenFilterError("Filter field: a dot path into the event's data such as customer or items.0.item_code")
	if len(value) > MAX_FILTER_VALUE:
		raise TokenFilterError(f"Filter value: at most {MAX_FILTER_VALUE} characters")
	return field, value
