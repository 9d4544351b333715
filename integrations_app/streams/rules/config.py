"""What an Integration Stream becomes in the sidecar (PUT /v1/streams/{stream}), and the checks
its settings pass on save. Frappe-free: values in, values out."""

import re
from datetime import datetime

# The sidecar's stream id: one URL path segment, readable in a consumer's configuration.
STREAM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
MAX_LEN_LIMIT = 1_000_000
MAX_AGE_HOURS_LIMIT = 24 * 365
MAX_ORIGINS = 50


class StreamConfigError(ValueError):
	pass


def check_stream_id(stream_id: str) -> str:
	stream_id = (stream_id or "").strip()
	if not STREAM_ID_RE.match(stream_id):
		raise StreamConfigError(
			"Stream ID: 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit"
		)
	return stream_id


def parse_origins(text: str | None) -> list[str]:
	"""One origin per line (or comma-separated): scheme://host[:port], no path; `*` is refused
	because the tokens are bearer secrets a page of any site could otherwise use."""
	origins: list[str] = []
	for raw in (text or "").replace(",", "\n").splitlines():
		origin = raw.strip().rstrip("/")
		if not origin:
			continue
		if not ORIGIN_RE.match(origin):
			raise StreamConfigError(f"{origin!r} is not an origin (scheme://host[:port], no path, no '*')")
		if origin.lower() not in (o.lower() for o in origins):
			origins.append(origin)
	if len(origins) > MAX_ORIGINS:
		raise StreamConfigError(f"At most {MAX_ORIGINS} origins")
	return origins


def check_retention(max_len: int, max_age_hours: int) -> None:
	if not 0 <= max_len <= MAX_LEN_LIMIT:
		raise StreamConfigError(f"Max events must be between 0 (the sidecar's default) and {MAX_LEN_LIMIT}")
	if not 0 <= max_age_hours <= MAX_AGE_HOURS_LIMIT:
		raise StreamConfigError(f"Max age must be between 0 (no limit) and {MAX_AGE_HOURS_LIMIT} hours")


def live_token_hashes(tokens: list[dict], now: datetime) -> list[dict]:
	"""The sidecar's `token_hashes`: tokens neither revoked nor expired, as {hash, expires_at?, filter?}.

	`tokens`: dicts with token_hash, revoked, expires_at (a datetime comparable with `now`, or
	None), expires_iso (the same instant as UTC ISO-8601) and optionally filter_field and
	filter_value (sent as the token's `filter`: its consumers see only the matching events). The expiry is sent too, so the
	sidecar refuses a token the moment it expires, not when a later push drops it."""
	live = []
	for token in tokens:
		expires = token.get("expires_at")
		if token.get("revoked") or not token.get("token_hash") or (expires and expires <= now):
			continue
		entry = {"hash": token["token_hash"]}
		if expires:
			entry["expires_at"] = token["expires_iso"]
		if token.get("filter_field"):
			entry["filter"] = {"field": token["filter_field"], "equals": token.get("filter_value") or ""}
		live.append(entry)
	return live


def stream_config(token_hashes: list[dict], max_len: int, max_age_hours: int, origins: list[str]) -> dict:
	"""Body of PUT /v1/streams/{stream}; zero retention values are left to the sidecar."""
	config: dict = {"token_hashes": token_hashes, "cors_origins": origins}
	if max_len:
		config["max_len"] = max_len
	if max_age_hours:
		config["max_age_s"] = max_age_hours * 3600
	return config
