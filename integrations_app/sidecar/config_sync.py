"""Keeping the sidecar's endpoint configuration in step with the DocTypes.

Integration Webhook -> PUT /v1/endpoints/{name}; Integration Inbound Endpoint ->
PUT /v1/inbound-endpoints/{slug}; Integration Stream -> PUT /v1/streams/{stream_id} (its
live token hashes and retention); Integration Stream Connector ->
PUT /v1/stream-connectors/{name}; Integration Sync Profile -> PUT /v1/sync/profiles/{name}
(DELETE while disabled); Integration Connection -> PUT /v1/connections/{sidecar_id}
(connections are scheduled and deleted by sidecar id, see `connections/config.py`). Saves and deletes are sent after the transaction commits;
if the sidecar cannot be reached the row keeps `sidecar_synced = 0` (deletes wait in a Redis
set) and the minutely job retries. A user's save never fails because the sidecar is down.
"""

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime, now_datetime

from integrations_app.connections.config import CONNECTION, connection_config
from integrations_app.outbound.rules.retry import (
	DEFAULT_RETRY_SCHEDULE,
	format_retry_schedule,
	parse_retry_schedule,
)
from integrations_app.sidecar.client import (
	SidecarClient,
	SidecarError,
	SidecarNotFound,
	SidecarRequestError,
	SidecarUnavailable,
)
from integrations_app.sitetime import to_iso_utc
from integrations_app.streams import config as streams
from integrations_app.streams import connectors as stream_connectors
from integrations_app.sync import config as sync_profiles
from integrations_app.sync.rules.profile import ProfileError

WEBHOOK = "Integration Webhook"
INBOUND_ENDPOINT = "Integration Inbound Endpoint"
STREAM = streams.STREAM
STREAM_CONNECTOR = stream_connectors.CONNECTOR
SYNC_PROFILE = sync_profiles.PROFILE
SETTINGS = "Integration Settings"
SIGNING_MODES = {"Standard Webhooks": "standard", "Frappe-compatible": "frappe", "None": "none"}
DEFAULT_TIMEOUT_MS = 15000
PENDING_DELETES_KEY = "integrations_app:pending_sidecar_deletes"
LOCAL_KEY = "integrations_app_endpoint_sync"


# --- configuration sent to the sidecar


def webhook_config(doc) -> dict:
	"""Body of PUT /v1/endpoints/{id} (DESIGN §3, docs/api.md); secrets and headers decrypted."""
	settings = frappe.get_cached_doc(SETTINGS)
	config = {
		"url": doc.url,
		"secrets": _webhook_secrets(doc),
		"signing": SIGNING_MODES[doc.signing],
		"headers": {
			row.key: row.get_password("value", raise_exception=False) or "" for row in doc.get("headers") or []
		},
		"timeout_ms": cint(doc.timeout_ms) or cint(settings.default_timeout_ms) or DEFAULT_TIMEOUT_MS,
		"retry_schedule_s": parse_retry_schedule(
			doc.retry_schedule or settings.default_retry_schedule or format_retry_schedule(DEFAULT_RETRY_SCHEDULE)
		),
		"ordered": bool(doc.ordered),
		# Paused (and disabled) endpoints keep accepting messages and hold them.
		"enabled": doc.status == "Active",
	}
	if flt(doc.rate_limit_per_s) > 0:
		config["rate_limit_per_s"] = flt(doc.rate_limit_per_s)
	if cint(doc.max_in_flight) > 0:
		config["max_in_flight"] = cint(doc.max_in_flight)
	return config


def _webhook_secrets(doc) -> list:
	if doc.signing == "None":
		return []
	secrets: list = []
	current = doc.get_password("secret", raise_exception=False) if doc.secret else None
	if current:
		secrets.append(current)  # first: the one that signs in Frappe-compatible mode
	expires = doc.previous_secret_expires_at
	if doc.previous_secret and expires and get_datetime(expires) > now_datetime():
		previous = doc.get_password("previous_secret", raise_exception=False)
		if previous:
			secrets.append({"value": previous, "expires_at": to_iso_utc(expires)})
	return secrets


def inbound_config(doc) -> dict:
	"""Body of PUT /v1/inbound-endpoints/{slug}: {provider, secret, tolerance_s?, options?}, the
	sidecar's strict per-provider schema (sidecar/src/inbound/verify/). An empty tolerance is
	left out so the sidecar applies the provider's own window (longer where retries keep the
	first signature)."""
	config = {
		"provider": doc.provider,
		"secret": (doc.get_password("secret", raise_exception=False) if doc.secret else None) or "",
	}
	if cint(doc.tolerance_s):
		config["tolerance_s"] = cint(doc.tolerance_s)
	if doc.provider == "hmac-sha256":
		config["options"] = {
			"header": doc.hmac_header,
			"encoding": doc.hmac_encoding or "hex",
			"prefix": doc.hmac_prefix or "",
		}
	elif doc.provider == "ses":
		config["options"] = {"allowed_topic_arns": parse_topic_arns(doc.allowed_topic_arn)}
	elif doc.provider == "twilio":
		# Twilio signs the URL it posts to, which the sidecar behind a proxy never sees.
		config["options"] = {"public_url": doc.twilio_signed_url or doc.public_url}
	return config


def parse_topic_arns(text: str | None) -> list[str]:
	return [arn.strip() for arn in (text or "").replace(",", "\n").splitlines() if arn.strip()]


# --- after-commit scheduling


def _scheduled() -> dict:
	scheduled = getattr(frappe.local, LOCAL_KEY, None)
	if scheduled is None:
		scheduled = {}
		setattr(frappe.local, LOCAL_KEY, scheduled)
		frappe.db.after_commit.add(_run_scheduled)
		frappe.db.after_rollback.add(lambda: setattr(frappe.local, LOCAL_KEY, None))
	return scheduled


def schedule_sync(doctype: str, name: str) -> None:
	_scheduled()[(doctype, name)] = "sync"


def schedule_delete(doctype: str, name: str) -> None:
	_scheduled()[(doctype, name)] = "delete"


def _run_scheduled() -> None:
	# Runs after the user's data is committed: nothing here may raise into their request.
	scheduled = getattr(frappe.local, LOCAL_KEY, None) or {}
	setattr(frappe.local, LOCAL_KEY, None)
	if not scheduled:
		return
	try:
		client = SidecarClient.from_settings(connect_timeout=1.0, read_timeout=5.0)
	except SidecarError:
		client = None  # not configured: rows stay unsynced until it is
	try:
		for (doctype, name), action in scheduled.items():
			if action == "delete":
				_delete(doctype, name, client)
			elif client:
				try:
					_sync(doctype, name, client)
				except SidecarUnavailable:
					client = None  # the minutely job takes over
		frappe.db.commit()
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title="Integrations: endpoint sync after commit failed")


# --- the operations


def sync_webhook(name: str, client: SidecarClient) -> bool:
	return _sync(WEBHOOK, name, client)


def sync_target(doctype: str, name: str, client: SidecarClient) -> bool:
	"""PUT an outbox row's target (webhook or stream): True when the sidecar has it."""
	return _sync(doctype, name, client)


def _sync(doctype: str, name: str, client: SidecarClient) -> bool:
	"""PUT one endpoint; record the outcome in `sidecar_synced`. True when the sidecar has it."""
	if doctype == CONNECTION:
		return sync_connection(name, client)
	if not frappe.db.exists(doctype, name):
		return False
	doc = frappe.get_doc(doctype, name)
	try:
		if doctype == WEBHOOK:
			client.put_endpoint(name, webhook_config(doc))
		elif doctype == STREAM:
			streams.push_config(doc, client)
		elif doctype == STREAM_CONNECTOR:
			stream_connectors.push_config(doc, client)
		elif doctype == SYNC_PROFILE:
			sync_profiles.push_profile(name, client)
		elif doc.enabled:
			client.put_inbound_endpoint(name, inbound_config(doc))
		else:
			_delete_inbound(client, name)  # a disabled receiver answers 404 to providers
	except (SidecarError, ProfileError) as e:
		frappe.db.set_value(doctype, name, "sidecar_synced", 0, update_modified=False)
		frappe.logger("integrations_app").info(f"{doctype} {name} not synced: {e}")
		if isinstance(e, SidecarUnavailable):
			raise
		return False
	frappe.db.set_value(doctype, name, "sidecar_synced", 1, update_modified=False)
	return True


def sync_connection(sidecar_id: str, client: SidecarClient) -> bool:
	"""PUT a connection. A refusal (400) is the connection's last error: the person who saved it
	sees why calls will fail."""
	name = frappe.db.get_value(CONNECTION, {"sidecar_id": sidecar_id}, "name")
	if not name:
		return False
	doc = frappe.get_doc(CONNECTION, name)
	try:
		if doc.sidecar_reset_pending:
			# A Disconnect the sidecar could not take at the time: forget (and revoke) its tokens
			# before the PUT, which would otherwise leave them in place.
			try:
				disconnected = client.disconnect_connection(sidecar_id)
			except SidecarNotFound:
				disconnected = None
			frappe.db.set_value(CONNECTION, name, "sidecar_reset_pending", 0, update_modified=False)
			record_revocation(name, disconnected)
		client.put_connection(sidecar_id, connection_config(doc))
	except SidecarError as e:
		values = {"sidecar_synced": 0}
		if isinstance(e, SidecarRequestError):
			values.update(status="Error", last_error=str(e)[:1000], last_error_at=now_datetime())
		frappe.db.set_value(CONNECTION, name, values, update_modified=False)
		frappe.logger("integrations_app").info(f"{CONNECTION} {name} not synced: {e}")
		if isinstance(e, SidecarUnavailable):
			raise
		return False
	frappe.db.set_value(CONNECTION, name, "sidecar_synced", 1, update_modified=False)
	return True


def record_revocation(name: str, disconnected: dict | None) -> str | None:
	"""Keep a failed revocation at the provider as the connection's last error (the local
	disconnect stands). Returns that error, or None."""
	if not disconnected or disconnected.get("revocation") != "failed":
		return None
	failed = [f"{r.get('token')}: {r.get('error')}" for r in disconnected.get("revoked") or [] if not r.get("ok")]
	error = _("Disconnected, but the provider did not confirm revoking the tokens: {0}").format("; ".join(failed))[:1000]
	frappe.db.set_value(CONNECTION, name, {"last_error": error, "last_error_at": now_datetime()}, update_modified=False)
	return error


def _delete_inbound(client: SidecarClient, slug: str) -> None:
	try:
		client.delete_inbound_endpoint(slug)
	except SidecarNotFound:
		pass  # already gone


def _delete(doctype: str, name: str, client: SidecarClient | None) -> None:
	key = f"{doctype}::{name}"
	try:
		if client is None:
			raise SidecarUnavailable("sidecar not configured")
		if doctype == WEBHOOK:
			client.delete_endpoint(name)
		elif doctype == CONNECTION:
			client.delete_connection(name)
		elif doctype == STREAM:
			client.delete_stream(name)
		elif doctype == STREAM_CONNECTOR:
			client.delete_stream_connector(name)
		elif doctype == SYNC_PROFILE:
			client.delete_sync_profile(name)
		else:
			client.delete_inbound_endpoint(name)
	except SidecarNotFound:
		pass  # already gone
	except SidecarError:
		frappe.cache.sadd(PENDING_DELETES_KEY, key)
		return
	frappe.cache.srem(PENDING_DELETES_KEY, key)


def sync_pending(client: SidecarClient) -> None:
	"""Minutely: retry deletes, then PUT every endpoint with sidecar_synced = 0.
	Raises SidecarUnavailable as soon as the sidecar cannot be reached."""
	for member in frappe.cache.smembers(PENDING_DELETES_KEY) or []:
		doctype, _, name = (member.decode() if isinstance(member, bytes) else member).partition("::")
		if not frappe.db.exists(doctype, {"sidecar_id": name} if doctype == CONNECTION else name):
			_delete(doctype, name, client)
	for doctype in (WEBHOOK, INBOUND_ENDPOINT, STREAM, STREAM_CONNECTOR, CONNECTION, SYNC_PROFILE):
		key = "sidecar_id" if doctype == CONNECTION else "name"
		for name in frappe.get_all(doctype, filters={"sidecar_synced": 0}, pluck=key):
			_sync(doctype, name, client)
		frappe.db.commit()
