"""Checks on outbound webhook URLs. The sidecar enforces SSRF rules at connect time; these
checks give the user an early, readable answer when saving."""

import ipaddress
from urllib.parse import urlsplit

_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "169.254.169.254", "fd00:ec2::254"})


def validate_webhook_url(url: str) -> str:
	"""Return the host of a usable http(s) URL; ValueError with the reason otherwise."""
	if not url or not isinstance(url, str):
		raise ValueError("URL is required")
	parts = urlsplit(url.strip())
	if parts.scheme not in ("http", "https"):
		raise ValueError("URL must start with http:// or https://")
	if not parts.hostname:
		raise ValueError("URL has no host")
	if parts.username or parts.password:
		raise ValueError("Put credentials in a header, not in the URL")
	if parts.fragment:
		raise ValueError("URL must not contain a #fragment")
	try:
		parts.port  # noqa: B018 - raises ValueError on a bad port
	except ValueError:
		raise ValueError("URL has an invalid port") from None
	return parts.hostname.lower()


def validate_base_url(url: str) -> str:
	"""A base URL others are appended to (the sidecar's, the site's public one): a webhook URL
	with no query string and no fragment, so nothing appended can be turned into a parameter of
	somebody else's endpoint. Returns the host."""
	host = validate_webhook_url(url)
	if "?" in url:
		raise ValueError("URL must not contain a ?query string")
	if "#" in url:
		raise ValueError("URL must not contain a #fragment")
	return host


def parse_allow_list(text: str | None) -> list[str]:
	"""Hosts, one per line or comma separated, lower-cased."""
	return [h.strip().lower() for h in (text or "").replace(",", "\n").splitlines() if h.strip()]


def is_private_host(host: str) -> bool:
	"""Loopback, private, link-local, reserved or cloud-metadata hosts (literal IPs and localhost only;
	names that resolve to such addresses are caught by the sidecar after DNS)."""
	host = host.lower().strip("[]")
	if host in _METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
		return True
	try:
		ip = ipaddress.ip_address(host)
	except ValueError:
		return False
	return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified or ip.is_multicast


def inbound_public_url(site_public_url: str | None, slug: str) -> str | None:
	"""What a provider posts to: the public base URL + `/v1/inbound/<slug>`; None until a base is set."""
	if not site_public_url:
		return None
	return f"{site_public_url.rstrip('/')}/v1/inbound/{slug}"
