"""Whitelisted methods for File attachments stored on a bucket (integrations_app.file_storage)."""

import frappe
from frappe import _

from integrations_app.file_storage import keys, migrate
from integrations_app.providers import storage
from integrations_app.permissions import require_manager

# Long enough to start the download, short enough that a shared link is soon useless.
SIGNED_URL_TTL_S = 60


@frappe.whitelist(allow_guest=True, methods=["GET"])
def download(key: str) -> None:
	"""Redirects to a short-lived signed URL of the object `key`, after Frappe's own check that
	the user may read a File stored there (the File's permission rules: public files for all,
	private ones for their owner and whoever can read the document they are attached to)."""
	# By the URL's end: the site URL it was stored with may differ from this request's. (Raw
	# parameterised SQL: get_all's `like` escapes again, which breaks the escaped _ and %.)
	candidates = [r[0] for r in frappe.db.sql("select name from `tabFile` where file_url like %s", ("%" + keys.like_escape(keys.url_suffix(key)),))]
	files = [frappe.get_doc("File", name) for name in candidates]
	files = [f for f in files if keys.key_of(f.file_url) == key]
	if not files:
		raise frappe.DoesNotExistError(_("File not found"))
	allowed = next((f for f in files if f.is_downloadable()), None)
	if not allowed:
		raise frappe.PermissionError(_("You are not allowed to read this file"))
	connection = frappe.db.get_single_value("Integration Settings", "file_storage_connection")
	if not connection:
		raise frappe.DoesNotExistError(_("File storage has no connection"))
	signed = storage.signed_url(connection, key, "GET", SIGNED_URL_TTL_S, download_name=allowed.file_name)
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = signed["url"]


@frappe.whitelist(methods=["POST"])
def start_migration() -> dict:
	"""Queue the job moving files on disk to the bucket (Integration Manager)."""
	require_manager()
	return migrate.start()


@frappe.whitelist()
def migration_status() -> dict:
	"""{status, done, total, percent, error, enabled, remaining_on_disk} (Integration Manager)."""
	require_manager()
	return migrate.status()
