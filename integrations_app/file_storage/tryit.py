"""The storage area's "Upload test file" (api/providers.py TEST_ACTIONS): a small text file put
in the connection's bucket, read back through a signed URL's key, and a signed GET URL of it."""

import frappe
from frappe import _
from frappe.utils import now_datetime

from integrations_app.providers import storage

DEFAULT_KEY_PREFIX = "integrations-app-test/"


def upload_test_file(connection: str, params: dict) -> dict:
	"""`params`: optional `key`. Uploads, checks the object's size, and signs a 5-minute GET URL."""
	key = str(params.get("key") or f"{DEFAULT_KEY_PREFIX}{now_datetime().strftime('%Y%m%dT%H%M%S')}-{frappe.generate_hash(length=6)}.txt")
	body = _("Test file uploaded from {0} by {1} at {2}").format(frappe.local.site, frappe.session.user, now_datetime().isoformat()).encode()
	put = storage.upload(connection, key, body, "text/plain; charset=utf-8")
	seen = storage.head(connection, key)
	if not seen.get("exists") or int(seen.get("size") or 0) != len(body):
		return {"ok": False, "summary": _("Uploaded {0}, but the bucket does not show it with its size").format(key), "key": key}
	signed = storage.signed_url(connection, key, "GET", 300)
	return {
		"ok": True,
		"summary": _("Uploaded {0} ({1} bytes); the link below reads it for 5 minutes").format(key, put["size"]),
		"key": key,
		"size": put["size"],
		"etag": put.get("etag"),
		"url": signed["url"],
	}
