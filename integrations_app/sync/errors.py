"""What a desk action on a sync profile or record can run into, one class per case the sidecar
tells apart (sidecar/README.md "Errors"): the page reads `exc_type` and the message; the HTTP
status is the sidecar's."""

import frappe
from frappe import _


class SyncProfileNotFound(frappe.DoesNotExistError):
	code, http_status_code = "sync_profile_not_found", 404


class SyncRecordNotFound(frappe.DoesNotExistError):
	code, http_status_code = "sync_record_not_found", 404


class ConflictAlreadyResolved(frappe.ValidationError):
	code, http_status_code = "conflict_already_resolved", 409


def profile_not_found(profile: str, by_sidecar: bool = False):
	if by_sidecar:
		return SyncProfileNotFound(_("The sidecar does not know sync profile {0}, even after it was sent again: check its Sidecar Synced flag and the sidecar's log").format(profile))
	return SyncProfileNotFound(_("Sync profile {0} does not exist (deleted, or never saved)").format(profile))


def record_not_found(local_name: str | None, external_id: str | None):
	record = " / ".join(filter(None, (local_name and _("local {0}").format(local_name), external_id and _("remote {0}").format(external_id))))
	return SyncRecordNotFound(_("No record {0} in this profile: it has no Sync Log row and neither side holds it").format(record))


def already_resolved(status: str):
	return ConflictAlreadyResolved(_("This conflict was already resolved: the record is {0} now. Reload the queue.").format(_(status)))
