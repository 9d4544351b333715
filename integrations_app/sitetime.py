"""Conversions between Frappe's naive site-local datetimes and the sidecar's UTC ISO strings."""

from datetime import datetime, timezone

from frappe.utils import get_datetime, get_system_timezone

from integrations_app import timefmt


def to_iso_utc(value: datetime | str) -> str:
	"""Site-local datetime (or Frappe datetime string) -> `…Z` ISO-8601 string."""
	return timefmt.to_iso_utc(timefmt.local_to_utc(get_datetime(value), get_system_timezone()))


def now_iso_utc() -> str:
	return timefmt.to_iso_utc(datetime.now(timezone.utc))


def from_iso(value: str | None) -> datetime | None:
	"""ISO-8601 from the sidecar -> naive site-local datetime; None stays None, junk raises ValueError."""
	if not value:
		return None
	return timefmt.utc_to_local(timefmt.parse_iso8601(value), get_system_timezone())


def site_local(value: str) -> datetime:
	"""A date-time sent by a client -> naive site-local: ISO-8601 with an offset (the SPA sends UTC)
	is converted to the System Settings time zone; naive text is site-local already (the desk)."""
	return timefmt.site_local(value, get_system_timezone())
