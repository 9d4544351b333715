"""`bench --site S uninstall-app integrations_app`: leave nothing behind.

Frappe drops the app's DocTypes and Module Def. What it does not know about is removed here:

- before (the DocTypes still exist): the sidecar's copies of every webhook, inbound endpoint,
  stream and sync profile (their secrets and token hashes, receivers providers could still post
  to, feeds consumers could still read, syncs that would go on writing), and this site's queued jobs of
  the app (they would fail on the dropped tables);
- after: the Integration Manager role (with its assignments and permission rows), the app's
  Scheduled Job Types and their logs, rows other DocTypes keep about the app's DocTypes
  (encrypted secrets in __Auth, Integration Settings' values, versions, shares, notifications,
  customisations), and the app's keys in Frappe's Redis.
"""

import json
import os

import click
import frappe

from integrations_app.permissions import INTEGRATION_MANAGER
from integrations_app.sidecar import config_sync
from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound

APP = "integrations_app"
REDIS_PREFIX = "integrations_app"  # every key the app keeps in Frappe's Redis starts with this
WEBHOOK = "Integration Webhook"
INBOUND_ENDPOINT = "Integration Inbound Endpoint"
STREAM = "Integration Stream"
STREAM_CONNECTOR = "Integration Stream Connector"
SYNC_PROFILE = "Integration Sync Profile"

# Rows of Frappe's own DocTypes that point at a DocType by name: (table DocType, its field).
ROWS_ABOUT_DOCTYPES = (
	("__Auth", "doctype"),
	("Singles", "doctype"),
	("Version", "ref_doctype"),
	("Deleted Document", "deleted_doctype"),
	("DocShare", "share_doctype"),
	("Notification Log", "document_type"),
	("Custom Field", "dt"),
	("Property Setter", "doc_type"),
)


def before_uninstall() -> None:
	remove_sidecar_endpoints()
	drop_queued_jobs()


def after_uninstall() -> None:
	remove_role()
	remove_scheduled_jobs()
	remove_rows_about(app_doctypes())
	remove_redis_keys()
	frappe.db.commit()
	frappe.clear_cache()


def remove_sidecar_endpoints(client: SidecarClient | None = None) -> list[str]:
	"""DELETE every webhook's, inbound endpoint's, stream's and stream connector's config (and those whose delete is
	still pending) from the sidecar. → what could not be deleted (also printed)."""
	targets = [(WEBHOOK, name) for name in frappe.get_all(WEBHOOK, pluck="name")]
	targets += [(INBOUND_ENDPOINT, name) for name in frappe.get_all(INBOUND_ENDPOINT, pluck="name")]
	targets += [(STREAM, name) for name in frappe.get_all(STREAM, pluck="name")]
	targets += [(STREAM_CONNECTOR, name) for name in frappe.get_all(STREAM_CONNECTOR, pluck="name")]
	targets += [(SYNC_PROFILE, name) for name in frappe.get_all(SYNC_PROFILE, pluck="name")]
	for member in frappe.cache.smembers(config_sync.PENDING_DELETES_KEY) or []:
		doctype, _, name = (member.decode() if isinstance(member, bytes) else member).partition("::")
		if (doctype, name) not in targets:
			targets.append((doctype, name))
	if not targets:
		return []
	try:
		client = client or SidecarClient.from_settings()
	except SidecarError as e:
		return _report_left([f"{d} {n}" for d, n in targets], str(e))
	left, reason = [], ""
	for doctype, name in targets:
		try:
			if doctype == WEBHOOK:
				client.delete_endpoint(name)
			elif doctype == STREAM:
				client.delete_stream(name)
			elif doctype == STREAM_CONNECTOR:
				client.delete_stream_connector(name)  # else it keeps holding the remote connection
			elif doctype == SYNC_PROFILE:
				client.delete_sync_profile(name)  # its runs stop; no more writes to either side
			else:
				client.delete_inbound_endpoint(name)
		except SidecarNotFound:
			pass
		except SidecarError as e:
			left.append(f"{doctype} {name}")
			reason = str(e)
	return _report_left(left, reason) if left else []


def _report_left(left: list[str], reason: str) -> list[str]:
	click.secho(
		f"integrations_app: the sidecar still holds {len(left)} endpoint config(s) with their secrets ({reason}):"
		f" {', '.join(left[:20])}{' …' if len(left) > 20 else ''}. Stop the sidecar and delete its data"
		" (DATA_DIR, or its keys under REDIS_PREFIX) to remove them.",
		fg="yellow",
	)
	return left


def drop_queued_jobs() -> int:
	"""Delete this site's queued jobs of the app. → how many."""
	from frappe.utils.background_jobs import get_queues

	dropped = 0
	for queue in get_queues():
		for job in queue.get_jobs():
			kwargs = job.kwargs or {}
			method = kwargs.get("method")
			name = method if isinstance(method, str) else getattr(method, "__module__", "")
			if kwargs.get("site") == frappe.local.site and (name or "").startswith(f"{APP}."):
				job.delete()
				dropped += 1
	return dropped


def remove_role() -> None:
	"""The role and every row granting it (users, role profiles, pages, reports, permissions).
	Plain deletes: the app's document hooks must not run while it is being removed."""
	for doctype in ("Has Role", "Custom DocPerm", "DocPerm"):
		frappe.db.delete(doctype, {"role": INTEGRATION_MANAGER})
	frappe.db.delete("Role", {"name": INTEGRATION_MANAGER})


def remove_scheduled_jobs() -> None:
	jobs = frappe.get_all("Scheduled Job Type", filters={"method": ("like", f"{APP}.%")}, pluck="name")
	if jobs:
		frappe.db.delete("Scheduled Job Log", {"scheduled_job_type": ("in", jobs)})
		frappe.db.delete("Scheduled Job Type", {"name": ("in", jobs)})


def app_doctypes() -> list[str]:
	"""The app's DocTypes, from its files (their records are gone by `after_uninstall`)."""
	folder = frappe.get_app_path(APP, APP, "doctype")
	names = []
	for name in sorted(os.listdir(folder)):
		path = os.path.join(folder, name, f"{name}.json")
		if os.path.isfile(path):
			with open(path) as f:
				names.append(json.load(f)["name"])
	return names


def remove_rows_about(doctypes: list[str]) -> None:
	for table, field in ROWS_ABOUT_DOCTYPES:
		frappe.db.delete(table, {field: ("in", doctypes)})


def remove_redis_keys(prefix: str = REDIS_PREFIX) -> int:
	"""The app's keys of this site in Frappe's Redis cache. → how many."""
	keys = frappe.cache.get_keys(prefix)
	frappe.cache.delete_value(keys, make_keys=False)  # also from this process's local copy
	return len(keys)
