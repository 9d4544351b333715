"""Desk API: actions on Integration Webhooks and their deliveries (docs/api.md)."""

import frappe
from frappe import _
from frappe.utils import add_to_date, flt, now_datetime

from integrations_app.outbound import outbox
from integrations_app.outbound.rules import naming, payload
from integrations_app.outbound.rules.signing import generate_frappe_secret, generate_standard_secret
from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound
from integrations_app.sitetime import site_local, to_iso_utc

WEBHOOK = "Integration Webhook"
DELIVERY = "Integration Webhook Delivery"
ROTATION_GRACE_HOURS = 24


def _webhook_for_write(webhook: str):
	doc = frappe.get_doc(WEBHOOK, webhook)
	doc.check_permission("write")
	return doc


def _sidecar_call(fn, *args):
	"""Run a sidecar call for a person: failures become a readable frappe.throw."""
	try:
		return fn(*args)
	except SidecarError as e:
		frappe.throw(str(e), title=_("Sidecar error"))


@frappe.whitelist()
def failing_now() -> dict[str, int]:
	"""{webhook: n} for each webhook the user can list that has deliveries failing now: whose
	latest status is Failed. A failure later replayed or recovered is Queued, Retrying or
	Succeeded by then, so it no longer counts (the webhook's `failed_count` counts every
	failure ever). Webhooks with none are left out."""
	frappe.has_permission(DELIVERY, "read", throw=True)
	names = frappe.get_list(WEBHOOK, pluck="name", limit_page_length=0)
	if not names:
		return {}
	# ranges on the (webhook, status, creation) index: only the Failed rows are read
	return dict(
		frappe.db.sql(
			f"select webhook, count(*) from `tab{DELIVERY}` where webhook in %s and status = 'Failed' group by webhook",
			(tuple(names),),
		)
	)


@frappe.whitelist(methods=["POST"])
def send_test_event(webhook: str) -> dict:
	"""Queue a synthetic `<doctype>.test` event through the normal outbox path → {delivery}."""
	doc = _webhook_for_write(webhook)
	data = {
		"test": True,
		"webhook": doc.name,
		"reference_doctype": doc.reference_doctype,
		"sent_by": frappe.session.user,
		"sent_at": to_iso_utc(now_datetime()),
	}
	[name] = outbox.insert_deliveries(
		[
			{
				"webhook": doc.name,
				"event_type": naming.test_event_type(doc.reference_doctype),
				"payload": payload.dumps(data),
				"status": "Queued",
			}
		]
	)
	outbox.schedule_push([name])
	return {"delivery": name}


@frappe.whitelist(methods=["POST"])
def replay_delivery(delivery: str) -> dict:
	"""Send a delivery again. If the sidecar never had it (or lost it), it is re-pushed."""
	row = frappe.get_doc(DELIVERY, delivery)
	row.check_permission("read")
	_webhook_for_write(row.webhook)
	if row.status == "Failed" and not row.acked:
		frappe.throw(
			_("This delivery never reached the sidecar ({0}). Fix the webhook; new events will use the fix.").format(
				row.last_error or _("no details")
			)
		)
	client = _sidecar_call(SidecarClient.from_settings)
	try:
		client.replay_message(delivery)
	except SidecarNotFound:
		# The sidecar does not know the message: put it back in the outbox.
		frappe.db.set_value(DELIVERY, delivery, {"acked": 0, "status": "Queued", "attempts_count": 0, "completed_at": None})
		outbox.schedule_push([delivery])
	except SidecarError as e:
		frappe.throw(str(e), title=_("Sidecar error"))
	return {"ok": True}


@frappe.whitelist(methods=["POST"])
def recover_failed(webhook: str, since: str | None = None, hours: float | None = None) -> dict:
	"""Re-queue the endpoint's failed messages → {requeued}. The window is either `hours` (the last
	N hours, counted on the server's clock: what the SPA sends) or `since`: ISO-8601 with an offset
	(e.g. UTC `…Z`) is converted to the site's time zone, a date-time without one is site-local (the
	desk's Datetime prompt)."""
	doc = _webhook_for_write(webhook)
	since_dt = _recover_since(since, hours)
	client = _sidecar_call(SidecarClient.from_settings)
	answer = _sidecar_call(client.recover_endpoint, doc.name, to_iso_utc(since_dt))
	requeued = answer.get("requeued") if isinstance(answer, dict) else None
	if not isinstance(requeued, int):
		# The sidecar's 202 may carry no count; report what Frappe knows was failed in that window.
		requeued = frappe.db.count(DELIVERY, {"webhook": doc.name, "status": "Failed", "creation": (">=", since_dt)})
	return {"requeued": requeued}


def _recover_since(since: str | None, hours: float | None):
	"""The window's start as a naive site-local datetime."""
	if (since in (None, "")) == (hours in (None, "")):
		frappe.throw(_("Give either Since or Hours"))
	if hours not in (None, ""):
		if flt(hours) <= 0:
			frappe.throw(_("Hours must be more than 0"))
		return add_to_date(now_datetime(), hours=-flt(hours))
	try:
		since_dt = site_local(since)
	except ValueError:
		since_dt = None
	if not since_dt or since_dt > now_datetime():
		frappe.throw(_("Since must be a date-time in the past"))
	return since_dt


@frappe.whitelist(methods=["POST"])
def rotate_secret(webhook: str) -> dict:
	"""New signing secret; the old one keeps signing for 24 h → {ok, previous_expires_at, secret}.

	This answer is the one place the new secret is shown (the receiver needs it, and nobody but a
	System Manager can read a Password field later); it is not logged."""
	doc = _webhook_for_write(webhook)
	if doc.signing == "None":
		frappe.throw(_("This webhook does not sign its requests, so there is no secret to rotate"))
	expires = add_to_date(now_datetime(), hours=ROTATION_GRACE_HOURS)
	doc.previous_secret = doc.get_password("secret")
	doc.previous_secret_expires_at = expires
	secret = generate_standard_secret() if doc.signing == "Standard Webhooks" else generate_frappe_secret()
	doc.secret = secret
	doc.save()
	return {"ok": True, "previous_expires_at": str(expires), "secret": secret}


@frappe.whitelist(methods=["POST"])
def set_paused(webhook: str, paused: bool) -> dict:
	"""Pause (the sidecar holds messages) or resume → {status}. Resuming also re-enables an
	Auto-disabled or Disabled webhook and resets its failure run."""
	doc = _webhook_for_write(webhook)
	if paused:
		doc.status = "Paused"
	else:
		if doc.status in ("Auto-disabled", "Disabled"):
			doc.consecutive_failures = 0
			doc.disabled_reason = None
		doc.status = "Active"
	doc.save()
	return {"status": doc.status}
