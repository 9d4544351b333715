"""Stream access tokens: generated here, stored only as their SHA-256 hash.

A consumer presents the token itself (`Authorization: Bearer` or `?token=`); the sidecar keeps
only hashes (PUT /v1/streams/{stream} `token_hashes`) and hashes what it is given. The token is
shown once, when it is created; afterwards only its label and last four characters identify it.
"""

import hashlib
import hmac
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
