"""Event type names, message ids and slugs."""

import os
import re
import threading
import time

# Document method -> verb used in the event type. Order is the order shown to users.
DOC_EVENT_VERBS: dict[str, str] = {
	"after_insert": "created",
	"on_update": "updated",
	"on_submit": "submitted",
	"on_cancel": "cancelled",
	"on_trash": "deleted",
	"on_update_after_submit": "updated_after_submit",
}
DOC_EVENTS: tuple[str, ...] = tuple(DOC_EVENT_VERBS)

MESSAGE_ID_PREFIX = "msg_"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


def scrub(text: str) -> str:
	"""Same result as `frappe.scrub`: lower case, spaces and dashes become underscores."""
	return text.replace(" ", "_").replace("-", "_").lower()


def event_type(doctype: str, method: str) -> str:
	"""`Sales Invoice` + `on_submit` -> `sales_invoice.submitted`."""
	try:
		verb = DOC_EVENT_VERBS[method]
	except KeyError:
		raise ValueError(f"Unsupported document event {method!r}") from None
	return f"{scrub(doctype)}.{verb}"


def test_event_type(doctype: str) -> str:
	"""Event type of the synthetic event sent by "Send test event"."""
	return f"{scrub(doctype)}.test"


def _encode_base32(value: int, length: int) -> str:
	chars = []
	for _ in range(length):
		chars.append(_CROCKFORD[value & 31])
		value >>= 5
	return "".join(reversed(chars))


class _MonotonicUlid:
	"""ULID generator (48-bit ms time + 80-bit randomness, Crockford base32).

	Within one millisecond the random part is incremented instead of redrawn, so ids made
	by one process sort in creation order; the sidecar's `ordered` endpoints rely on that.
	"""

	def __init__(self) -> None:
		self._lock = threading.Lock()
		self._last_ms = -1
		self._last_rand = 0

	def __call__(self, now_ms: int | None = None) -> str:
		ms = int(time.time() * 1000) if now_ms is None else now_ms
		with self._lock:
			if ms <= self._last_ms:
				ms = self._last_ms
				rand = (self._last_rand + 1) & ((1 << 80) - 1)
			else:
				rand = int.from_bytes(os.urandom(10), "big")
			self._last_ms, self._last_rand = ms, rand
		return _encode_base32(ms, 10) + _encode_base32(rand, 16)


new_ulid = _MonotonicUlid()


def new_message_id() -> str:
	"""`msg_` + 26-character ULID: the Delivery name, the sidecar job id and `webhook-id`."""
	return MESSAGE_ID_PREFIX + new_ulid()


def is_message_id(value: str) -> bool:
	return (
		isinstance(value, str)
		and len(value) == len(MESSAGE_ID_PREFIX) + 26
		and value.startswith(MESSAGE_ID_PREFIX)
		and all(c in _CROCKFORD for c in value[len(MESSAGE_ID_PREFIX) :])
	)


def is_valid_slug(slug: str) -> bool:
	"""Lower-case letters, digits, `-` and `_`; 1-64 characters; starts and ends alphanumeric."""
	return isinstance(slug, str) and bool(_SLUG_RE.match(slug))
