"""Where a File's bytes live in the bucket and how its `file_url` names them. Frappe-free.

A stored File's `file_url` is the site's own download method with the object key
(`https://site/api/method/integrations_app.api.files.download?key=…`): an absolute URL, so
Frappe treats the File as remote (nothing read from disk), and every download passes through
the permission-checked method."""

import re
from urllib.parse import parse_qs, quote, urlsplit

DOWNLOAD_METHOD = "/api/method/integrations_app.api.files.download"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_prefix(prefix: str | None) -> str:
	"""`attachments` → `attachments/`; '' stays ''. ValueError for `.`/`..` or empty segments."""
	p = (prefix or "").strip().strip("/")
	if not p:
		return ""
	if _CONTROL.search(p) or any(seg in ("", ".", "..") for seg in p.split("/")):
		raise ValueError("The prefix is a path like attachments/site1: no empty, . or .. parts")
	return p + "/"


def object_key(prefix: str, content_hash: str, file_name: str, is_private: bool) -> str:
	"""`<prefix>private/<hash>/<file name>`: the content hash keeps names from colliding, the
	file name keeps the bucket readable. Slashes and control characters in the name are replaced."""
	name = _CONTROL.sub("_", file_name or "file").replace("/", "_").replace("\\", "_").strip() or "file"
	if name in (".", ".."):
		name = "file"
	return f"{prefix}{'private' if is_private else 'public'}/{content_hash}/{name}"


def file_url_for(site_url: str, key: str) -> str:
	return f"{site_url.rstrip('/')}{DOWNLOAD_METHOD}?key={quote(key, safe='/')}"


def key_of(file_url: str | None) -> str | None:
	"""The object key a File's `file_url` points to, or None for a file that is not in a bucket."""
	if not file_url or DOWNLOAD_METHOD not in file_url:
		return None
	parts = urlsplit(file_url)
	if parts.path != DOWNLOAD_METHOD:
		return None
	keys = parse_qs(parts.query).get("key")
	return keys[0] if keys else None


def url_suffix(key: str) -> str:
	"""The end every `file_url` of `key` shares, whatever the site URL was when it was stored."""
	return f"{DOWNLOAD_METHOD}?key={quote(key, safe='/')}"


def like_escape(value: str) -> str:
	"""A literal for SQL LIKE (MariaDB's default escape character)."""
	return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def progress(done: int, total: int) -> int:
	"""Whole percent, 100 when there is nothing to do."""
	return 100 if total <= 0 else min(100, int(done * 100 / total))
