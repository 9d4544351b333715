"""Moves Files already on disk to the bucket: one background job, in chunks, resumable (the
cursor — the last File done — is kept in Integration Settings after each file), with progress
in the settings and as realtime `integrations_file_migration` events for desk."""

import mimetypes
import os

import frappe
from frappe.core.doctype.file.utils import get_content_hash
from frappe.utils import cint, get_url, now_datetime

from integrations_app.file_storage import keys
from integrations_app.file_storage.hooks import SETTINGS, bucket_connection
from integrations_app.providers import storage

JOB_ID = "integrations_app:file_migration"
CHUNK = 20
EVENT = "integrations_file_migration"


def _pending(after: str = "", limit: int | None = None) -> list[dict]:
	filters = [["is_folder", "=", 0], ["file_url", "like", "%/files/%"], ["file_url", "not like", "http%"]]
	if after:
		filters.append(["name", ">", after])
	return frappe.get_all("File", filters=filters, fields=["name", "file_url", "file_name", "is_private", "content_hash"], order_by="name asc", limit=limit)


def status() -> dict:
	s = frappe.get_doc(SETTINGS)
	done, total = cint(s.get("file_migration_done")), cint(s.get("file_migration_total"))
	return {
		"status": s.get("file_migration_status") or "",
		"done": done,
		"total": total,
		"percent": keys.progress(done, total),
		"error": s.get("file_migration_error") or None,
		"enabled": bool(bucket_connection()),
		"remaining_on_disk": frappe.db.count("File", {"is_folder": 0, "file_url": ["like", "/%files/%"]}),
	}


def _save(**values) -> None:
	values["file_migration_updated"] = now_datetime()
	for field, value in values.items():
		frappe.db.set_single_value(SETTINGS, field, value)
	frappe.db.commit()
	frappe.publish_realtime(EVENT, status(), after_commit=False)


def start() -> dict:
	"""Queues the job (once: a second start while it runs is the same job); it picks up after
	the last file a previous run finished."""
	if not bucket_connection():
		frappe.throw(frappe._("Turn on file storage and pick a storage connection in Integration Settings first"))
	s = frappe.get_doc(SETTINGS)
	resuming = s.get("file_migration_status") in ("Running", "Failed", "Queued") and s.get("file_migration_cursor")
	total = len(_pending()) + (cint(s.get("file_migration_done")) if resuming else 0)
	_save(file_migration_status="Queued", file_migration_total=total, file_migration_error=None,
		**({} if resuming else {"file_migration_done": 0, "file_migration_cursor": ""}))
	frappe.enqueue("integrations_app.file_storage.migrate.run", queue="long", timeout=6 * 3600, job_id=JOB_ID, deduplicate=True, enqueue_after_commit=True)
	return status()


def _move(connection: str, prefix: str, f: dict, site_url: str) -> None:
	doc = frappe.get_doc("File", f["name"])
	path = doc.get_full_path()
	if not os.path.exists(path):
		raise FileNotFoundError(f"{f['file_url']} is not on disk")
	if doc.content_hash:
		content_hash = doc.content_hash
	else:
		with open(path, "rb") as fh:
			content_hash = get_content_hash(fh.read())
	key = keys.object_key(prefix, content_hash, doc.file_name or os.path.basename(path), cint(doc.is_private))
	with open(path, "rb") as fh:
		storage.upload(connection, key, fh, mimetypes.guess_type(doc.file_name or path)[0] or "application/octet-stream")
	new_url = keys.file_url_for(site_url, key)
	old_url = doc.file_url
	# Every File row sharing these bytes, and the field of the document each is attached to.
	for other in frappe.get_all("File", filters={"file_url": old_url}, fields=["name", "attached_to_doctype", "attached_to_name", "attached_to_field"]):
		frappe.db.set_value("File", other.name, {"file_url": new_url, "content_hash": content_hash}, update_modified=False)
		if other.attached_to_doctype and other.attached_to_name and other.attached_to_field:
			if frappe.db.get_value(other.attached_to_doctype, other.attached_to_name, other.attached_to_field) == old_url:
				frappe.db.set_value(other.attached_to_doctype, other.attached_to_name, other.attached_to_field, new_url, update_modified=False)
	frappe.db.commit()
	# Only once the rows point at the bucket: a crash before leaves the disk copy in use.
	os.remove(path)


def run() -> None:
	target = bucket_connection()
	if not target:
		_save(file_migration_status="Failed", file_migration_error="File storage is off")
		return
	connection, prefix = target
	s = frappe.get_doc(SETTINGS)
	cursor, done = s.get("file_migration_cursor") or "", cint(s.get("file_migration_done"))
	site_url = get_url()
	_save(file_migration_status="Running")
	try:
		while True:
			chunk = _pending(cursor, CHUNK)
			if not chunk:
				break
			for f in chunk:
				_move(connection, prefix, f, site_url)
				cursor, done = f["name"], done + 1
				_save(file_migration_cursor=cursor, file_migration_done=done)
	except Exception as e:
		frappe.db.rollback()
		_save(file_migration_status="Failed", file_migration_error=str(e)[:500])
		raise
	_save(file_migration_status="Completed", file_migration_cursor="")
