"""doc_events handler: document changes become Integration Webhook Delivery rows (the outbox).

The same rows feed Integration Streams and real-time Integration Sync Profiles: a row names its
`webhook`, its `stream` or its `sync_profile`, and from here on all take the same path (insert before commit, one XADD after it, the minutely
re-push, the sidecar's acknowledgement).

Per transaction:
1. Each matching (webhook or stream, document, event) is evaluated now (condition, payload) and
   kept in `frappe.local`, keyed (target, name, doctype, docname, event); a later event with the
   same key replaces the earlier one, so only the last state of a document is sent.
2. `frappe.db.before_commit`: the rows are inserted in the same transaction as the document
   change. A rollback discards the pending matches, and rows are never written.
3. `frappe.db.after_commit`: the new rows are handed to the sidecar in one batch, straight from
   memory, with one XADD on the site's redis_queue (`outbox.schedule_push_rows`, `sidecar.handoff`);
   whatever the sidecar does not acknowledge is re-pushed by the minutely job.

v15 runs `on_update` during insert (after `after_insert`) and during submit (before
`on_submit`). Here `on_update` means "an existing document was saved": it is ignored during
insert and submit, so a new document fires only `*.created` (and `*.submitted` when inserted
submitted), and an `on_update` webhook never double-fires with `created` or `submitted`.
"""

import json
from contextlib import contextmanager

import frappe

from integrations_app.outbound import outbox
from integrations_app.outbound.rules import naming, payload, template
from integrations_app.outbound.rules.conditions import ReadOnlyRecord, format_condition_error
from integrations_app.outbound.webhook_map import get_webhook_map
from integrations_app.sync.config import get_profile_map

OWN_DOCTYPES = frozenset(
	{
		"Integration Settings",
		"Integration Webhook",
		"Integration Webhook Event",
		"Integration Webhook Header",
		"Integration Webhook Delivery",
		"Integration Webhook Delivery Attempt",
		"Integration Inbound Endpoint",
		"Integration Inbound Event",
		"Integration OAuth Provider",
		"Integration Connection",
		"Integration Stream",
		"Integration Stream Source",
		"Integration Stream Token",
		"Integration Stream Connector",
		"Integration Sync Profile",
		"Integration Sync Field Map",
		"Integration Sync Log",
		"Integration Sync Run",
	}
)
# Set by `api.sync.upsert_records` / `delete_records` while the sync engine writes a document for
# a profile: that profile must not send the change back (echo suppression, docs/sync.md §2).
SYNC_MARKER = "integrations_sync_profile"
# Where a target's condition error is recorded (`last_condition_error`).
TARGET_DOCTYPES = {"webhook": "Integration Webhook", "stream": "Integration Stream"}
PENDING_KEY = "integrations_app_outbox_pending"
RECORDING_KEY = "integrations_app_recording_condition_error"


def on_doc_event(doc, method: str) -> None:
	"""`doc_events["*"]` entry point for every supported event."""
	if _skip(doc, method):
		return
	profiles = get_profile_map().get(doc.doctype)
	if profiles:
		_add_sync_pending(profiles, doc, method)
	webhooks = get_webhook_map().get(doc.doctype)
	if not webhooks:
		return
	built: dict = {}  # payloads of this event, shared by the webhooks that ask for the same one
	for webhook in webhooks:
		if method in webhook["events"] and _condition_matches(webhook, doc, built):
			_add_pending(webhook, doc, method, built)


def _skip(doc, method: str) -> bool:
	flags = frappe.flags
	if flags.in_import or flags.in_patch or flags.in_install or flags.in_migrate or flags.in_uninstall:
		return True
	if doc.doctype in OWN_DOCTYPES or getattr(frappe.local, RECORDING_KEY, False):
		return True
	if method == "on_update" and (doc.flags.in_insert or getattr(doc, "_action", None) == "submit"):
		return True
	return False


@contextmanager
def _keep_user_messages():
	"""frappe.throw inside safe_eval queues a message for the user; a failure
	here is ours to record, not the user's to see, so drop anything queued meanwhile."""
	log = frappe.local.message_log
	length = len(log)
	try:
		yield
	finally:
		del log[length:]


def _condition_matches(webhook: dict, doc, built: dict) -> bool:
	condition = webhook["condition"]
	if not condition:
		return True
	try:
		with _keep_user_messages():
			return bool(frappe.safe_eval(condition, eval_locals={"doc": _condition_record(doc, built)}))
	except Exception as e:
		_record_condition_error(TARGET_DOCTYPES[webhook["target"]], webhook["name"], condition, doc, e)
		return False


def _condition_record(doc, built: dict) -> ReadOnlyRecord:
	"""The document's values, read-only: a condition filters, it never gets the live Document."""
	if "record" not in built:
		built["record"] = ReadOnlyRecord(doc.as_dict())
	return built["record"]


def _record_condition_error(target: str, target_name: str, condition: str, doc, exc: Exception) -> None:
	"""Store the error on the webhook (or stream) and in Error Log, once per distinct message, so
	a broken condition on a busy DocType does not write on every save."""
	message = format_condition_error(condition, exc)
	if frappe.db.get_value(target, target_name, "last_condition_error") == message:
		return
	setattr(frappe.local, RECORDING_KEY, True)  # Error Log inserts must not re-enter this handler
	try:
		frappe.db.set_value(target, target_name, "last_condition_error", message, update_modified=False)
		frappe.log_error(
			title=f"{target} {target_name}: condition failed on {doc.doctype} {doc.name}",
			message=frappe.get_traceback(),
			reference_doctype=target,
			reference_name=target_name,
		)
	finally:
		setattr(frappe.local, RECORDING_KEY, False)


def _payload_key(webhook: dict) -> tuple:
	kind = webhook["payload_type"]
	if kind == "Fields":
		return (kind, webhook["payload_fields"])
	if kind == "Template":
		return (kind, webhook["payload_template"])
	return (kind,)


def _build_payload(webhook: dict, doc, built: dict | None = None) -> tuple[str, str | None]:
	"""(payload JSON, error). On error the payload is `{}` and the delivery is recorded as Failed.

	`built` caches results for one document event: webhooks with the same payload settings get
	the same JSON (the document does not change between them), built once."""
	if built is None:
		return _render_payload(webhook, doc, {})
	key = _payload_key(webhook)
	if key not in built:
		built[key] = _render_payload(webhook, doc, built)
	return built[key]


def _doc_dict(doc, built: dict) -> dict:
	if "as_dict" not in built:  # read-only from here on: pick_fields and dumps copy what they use
		built["as_dict"] = payload.document_data(doc.as_dict(convert_dates_to_str=True))
	return built["as_dict"]


def _template_data(doc, built: dict) -> dict:
	"""Plain JSON data (dicts, lists, strings, numbers) for the template sandbox."""
	if "template_data" not in built:
		built["template_data"] = json.loads(payload.dumps(_doc_dict(doc, built)))
	return built["template_data"]


def _render_payload(webhook: dict, doc, built: dict) -> tuple[str, str | None]:
	kind = webhook["payload_type"]
	try:
		if kind == "Fields":
			data = payload.pick_fields(_doc_dict(doc, built), payload.parse_field_list(webhook["payload_fields"]))
		elif kind == "Template":
			rendered = template.render_template(webhook["payload_template"], _template_data(doc, built))
			data = payload.parse_template_output(rendered)
		else:
			data = _doc_dict(doc, built)
		return payload.dumps(data), None
	except (payload.PayloadError, template.TemplateError) as e:
		return "{}", str(e)
	except Exception as e:
		return "{}", f"Payload {kind.lower()} failed: {type(e).__name__}: {e}"


def _pending() -> dict:
	pending = getattr(frappe.local, PENDING_KEY, None)
	if pending is None:
		pending = {}
		setattr(frappe.local, PENDING_KEY, pending)
		frappe.db.before_commit.add(flush_pending)
		frappe.db.after_rollback.add(_discard_pending)
	return pending


def _add_pending(webhook: dict, doc, method: str, built: dict | None = None) -> None:
	body, error = _build_payload(webhook, doc, built)
	target = webhook["target"]
	key = (target, webhook["name"], doc.doctype, doc.name, method)
	pending = _pending()
	pending.pop(key, None)  # re-insert so the order follows each key's last event
	pending[key] = {
		"webhook": webhook["name"] if target == "webhook" else None,
		"stream": webhook["name"] if target == "stream" else None,
		"event_type": naming.event_type(doc.doctype, method),
		"reference_doctype": doc.doctype,
		"reference_name": doc.name,
		"payload": body,
		"status": "Failed" if error else "Queued",
		"last_error": error,
	}


def _add_sync_pending(profiles: list[dict], doc, method: str) -> None:
	"""Real-time sync profiles (docs/sync.md §5): one outbox row per (profile, document), the
	last event winning, so an update then a delete in one transaction sends the delete only."""
	writer = frappe.flags.get(SYNC_MARKER)
	event_type = "sync.delete" if method == "on_trash" else "sync.upsert"
	for profile in profiles:
		if profile["name"] == writer:
			continue
		key = ("sync_profile", profile["name"], doc.doctype, doc.name)
		pending = _pending()
		pending.pop(key, None)
		if event_type == "sync.delete" and not profile["push_deletes"]:
			continue  # the document is gone: an earlier upsert of it has nothing left to send
		pending[key] = {
			"webhook": None,
			"stream": None,
			"sync_profile": profile["name"],
			"event_type": event_type,
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"payload": json.dumps({"name": doc.name}),
			"status": "Queued",
			"last_error": None,
		}


def _discard_pending() -> None:
	setattr(frappe.local, PENDING_KEY, None)


def flush_pending() -> None:
	"""before_commit: write the rows inside the committing transaction, push after it."""
	pending = getattr(frappe.local, PENDING_KEY, None)
	setattr(frappe.local, PENDING_KEY, None)
	if not pending:
		return
	rows = list(pending.values())
	outbox.insert_deliveries(rows)
	# handed off from memory after the commit: no read-back of what was just written
	outbox.schedule_push_rows([row for row in rows if row["status"] == "Queued"])
