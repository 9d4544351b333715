"""Frappe's File storage hooks (hooks.py `write_file`, `delete_file_data_content`). They are
app-wide, so each one first asks whether this site stores files on a bucket; if not, Frappe's
own file-system behaviour runs unchanged."""

import frappe
from frappe.utils import cint, get_url

from integrations_app.file_storage import keys
from integrations_app.providers import storage

SETTINGS = "Integration Settings"


def bucket_connection() -> tuple[str, str] | None:
	"""(connection, prefix) when this site stores new uploads on a bucket, else None."""
	s = frappe.get_cached_doc(SETTINGS)
	if not cint(s.get("file_storage_enabled")) or not s.get("file_storage_connection"):
		return None
	return s.file_storage_connection, keys.normalize_prefix(s.get("file_storage_prefix"))


def write_file(file_doc) -> dict:
	"""Called by `File.save_file` with the content in `file_doc._content`. An upload that fails
	raises: the File is not inserted (no orphaned row) and the sidecar has aborted the
	multipart upload (no orphaned parts)."""
	target = bucket_connection()
	if not target:
		return file_doc.save_file_on_filesystem()
	connection, prefix = target
	key = keys.object_key(prefix, file_doc.content_hash, file_doc.file_name, cint(file_doc.is_private))
	storage.upload(connection, key, file_doc._content, file_doc.content_type or "application/octet-stream")
	file_doc.file_url = keys.file_url_for(get_url(), key)
	return {"file_name": file_doc.file_name, "file_url": file_doc.file_url}


def delete_file_data_content(file_doc, only_thumbnail: bool = False) -> None:
	"""Deletes the object of a bucket-stored File (Frappe calls this only once no other File
	shares the content); files on disk go Frappe's way."""
	key = keys.key_of(file_doc.file_url)
	if not key:
		file_doc.delete_file_from_filesystem(only_thumbnail=only_thumbnail)
		return
	if only_thumbnail:
		return
	connection = frappe.db.get_single_value(SETTINGS, "file_storage_connection")
	if connection:
		storage.delete(connection, key)
