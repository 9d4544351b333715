"""ISO-8601 timestamps exchanged with the sidecar (always UTC) and the site's local time.

Frappe stores naive datetimes in the System Settings time zone; the sidecar speaks UTC.
"""

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

_FRACTION_RE = re.compile(r"\.(\d+)")


def _from_iso(value: str, what: str) -> datetime:
	"""`datetime.fromisoformat` made lenient the way clients write ISO-8601: `Z` suffix and any
	number of fraction digits (Python 3.10 wants `+00:00` and exactly 3 or 6)."""
	if not isinstance(value, str) or not value.strip():
		raise ValueError(f"{what} must be a non-empty string")
	text = value.strip()
	if text.endswith(("Z", "z")):
		text = text[:-1] + "+00:00"
	text = _FRACTION_RE.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
	try:
		return datetime.fromisoformat(text)
	except ValueError:
		raise ValueError(f"{value!r} is not an ISO-8601 {what}") from None


def parse_iso8601(value: str) -> datetime:
	"""Aware UTC datetime from `2024-05-01T10:00:00.123Z` and friends; naive input is taken as UTC."""
	parsed = _from_iso(value, "timestamp")
	if parsed.tzinfo is None:
		parsed = parsed.replace(tzinfo=timezone.utc)
	return parsed.astimezone(timezone.utc)


def to_iso_utc(dt: datetime) -> str:
	"""`2024-05-01T10:00:00.123Z` (milliseconds, like JavaScript's toISOString)."""
	if dt.tzinfo is None:
		raise ValueError("to_iso_utc needs an aware datetime")
	utc = dt.astimezone(timezone.utc)
	return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def local_to_utc(naive: datetime, tz_name: str) -> datetime:
	"""Naive site-local datetime -> aware UTC."""
	return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)


def utc_to_local(aware: datetime, tz_name: str) -> datetime:
	"""Aware datetime -> naive site-local datetime (what Frappe stores)."""
	return aware.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)



def site_local(value: str, tz_name: str) -> datetime:
	"""A client's date-time as the site's naive local time. ISO-8601 with an offset (`…Z`,
	`…+05:30`) is an instant and is converted to `tz_name`; text without one is a wall-clock time
	taken as site-local already (what the desk sends)."""
	parsed = _from_iso(value, "date-time")
	return parsed if parsed.tzinfo is None else utc_to_local(parsed, tz_name)


def utc_naive(value: str) -> datetime:
	"""ISO-8601 -> naive UTC datetime: what the connection token fields hold (absolute, so
	independent of the site's time zone and of when the document was last saved)."""
	return parse_iso8601(value).replace(tzinfo=None)


def utc_naive_to_iso(naive: datetime) -> str:
	"""Naive UTC datetime -> `…Z` ISO-8601."""
	return to_iso_utc(naive.replace(tzinfo=timezone.utc))
