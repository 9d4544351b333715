"""Object storage through a connection whose API is Amazon S3, Google Cloud Storage or Azure Blob
Storage (sidecar/README.md "Operations" → amazon_s3, gcs, azure_blob). The bucket or container
is the connection's Base URL path; `key` is the object's name in it. The same functions work for
all three providers. No permission checks: this is for server code (desk reaches it through
`api/` methods that check roles)."""

import base64
from typing import Any

import frappe
from frappe import _
from frappe.utils import cint

from integrations_app.connections import errors
from integrations_app.connections.config import CONNECTION
from integrations_app.providers.call import call
from integrations_app.sidecar.client import SidecarClient, SidecarError

# A streamed upload's slowest part may take the connection's timeout, per attempt, per part.
UPLOAD_SLACK_S = 60


def put(connection: str, key: str, content: bytes | str, content_type: str = "application/octet-stream") -> dict:
	"""Store a small object (up to a few MiB; larger ones: `upload`). → {key, size, etag, parts}."""
	data = content.encode() if isinstance(content, str) else content
	params = {"key": key, "content": base64.b64encode(data).decode(), "encoding": "base64", "content_type": content_type}
	return call(connection, "objects.put", params)


def get(connection: str, key: str) -> bytes:
	"""The object's bytes (bounded by the connection's max response size). `ProviderRejected`
	with `provider_code` NoSuchKey / BlobNotFound / 404 when there is none."""
	return base64.b64decode(call(connection, "objects.get", {"key": key})["content"])


def head(connection: str, key: str) -> dict:
	"""{exists, key, size, content_type, etag, last_modified}; exists False when there is none."""
	return call(connection, "objects.head", {"key": key})


def delete(connection: str, key: str) -> None:
	"""Delete the object; deleting one that is not there is not an error."""
	call(connection, "objects.delete", {"key": key})


def list_objects(connection: str, prefix: str = "", continuation_token: str | None = None, max_keys: int = 1000) -> dict:
	"""One page: {objects: [{key, size, etag, last_modified}], truncated, next_token}."""
	params: dict[str, Any] = {"prefix": prefix, "max_keys": max_keys}
	if continuation_token:
		params["continuation_token"] = continuation_token
	return call(connection, "objects.list", params)


def signed_url(
	connection: str, key: str, method: str = "GET", expires_s: int = 300, content_type: str | None = None, download_name: str | None = None
) -> dict:
	"""A URL anyone may use for one GET or PUT of `key` until it expires (S3 presigned, GCS V4
	signed, Azure SAS): {url, method, expires_at, headers}. Keep `expires_s` short. For PUT,
	`content_type` is signed and `headers` lists what the uploader must send."""
	params: dict[str, Any] = {"key": key, "method": method, "expires_s": cint(expires_s)}
	if content_type:
		params["content_type"] = content_type
	if download_name:
		params["download_name"] = download_name
	return call(connection, "objects.signed_url", params)


def abort_stale_uploads(connection: str, older_than_h: float = 24, prefix: str = "") -> list[dict]:
	"""S3 only: abort multipart uploads begun more than `older_than_h` hours ago (their parts
	are deleted). → [{key, upload_id, initiated}]."""
	return call(connection, "uploads.abort_stale", {"older_than_h": older_than_h, "prefix": prefix})["aborted"]


def upload(connection: str, key: str, data, content_type: str = "application/octet-stream") -> dict:
	"""Stream `data` (bytes or a binary file object) of any size to `key`: one request up to
	8 MiB, the provider's multipart form above (aborted by the sidecar if anything fails, so
	no parts are left). → {key, size, etag, parts}."""
	row = frappe.db.get_value(CONNECTION, connection, ["name", "sidecar_id", "timeout_ms", "max_attempts"], as_dict=True)
	if not row or not row.sidecar_id:
		raise errors.ConnectionNotFound(_("No Integration Connection {0}").format(repr(connection)))
	size = len(data) if isinstance(data, bytes | bytearray) else None
	parts = max(1, (size or 0) // (8 * 1024 * 1024) + 1)
	read_timeout = parts * (cint(row.timeout_ms) or 30_000) / 1000 * max(1, cint(row.max_attempts) or 3) + UPLOAD_SLACK_S
	try:
		return SidecarClient.from_settings().put_object(row.sidecar_id, key, data, content_type, read_timeout=read_timeout)
	except SidecarError as e:
		raise errors.from_sidecar(e, row.name) from None
