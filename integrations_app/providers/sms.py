"""SMS through a connection whose API is Twilio (sidecar operation `messages.send`). Every message
is kept as an Integration Message; Twilio's status callbacks (an Integration Inbound Endpoint of
provider `twilio`) move its status on (Queued → Sent → Delivered, or Undelivered / Failed).

    from integrations_app.providers.sms import send_sms
    send_sms("Twilio", "+14155550100", "Your code is 1234", sender="+14155550199")
"""

from typing import Any

import frappe
from frappe import _

from integrations_app.connections import errors
from integrations_app.connections.config import CONNECTION
from integrations_app.messaging.messages import record_sent
from integrations_app.providers.call import call
from integrations_app.providers.catalogue import sidecar_provider

INBOUND_ENDPOINT = "Integration Inbound Endpoint"
SMS_PROVIDERS = ("twilio",)


def sms_provider(connection: str) -> str:
	provider = sidecar_provider(frappe.db.get_value(CONNECTION, connection, "api_provider"))
	if provider not in SMS_PROVIDERS:
		raise errors.ProviderUnset(_("Connection {0} does not send SMS: set its API to Twilio").format(connection))
	return provider


def status_callback_url() -> str | None:
	"""Where Twilio should post status changes: the URL of the site's enabled `twilio` inbound
	endpoint (the one Integration Settings names, else the first), or None without one."""
	chosen = frappe.db.get_single_value("Integration Settings", "sms_status_endpoint")
	filters = {"provider": "twilio", "enabled": 1, **({"name": chosen} if chosen else {})}
	row = frappe.db.get_value(INBOUND_ENDPOINT, filters, ["public_url", "twilio_signed_url"], as_dict=True, order_by="creation asc")
	return (row.twilio_signed_url or row.public_url) if row else None


def send_sms(
	connection: str,
	to: str,
	body: str,
	*,
	sender: str | None = None,
	messaging_service_sid: str | None = None,
	media_url: list[str] | None = None,
	status_callback: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	idempotency_key: str | None = None,
) -> dict:
	"""Send one SMS (or MMS with `media_url`) to an E.164 number from `sender` (number, short
	code or alphanumeric id) or a Messaging Service. `status_callback` defaults to the site's
	twilio inbound endpoint, so the message's status follows Twilio's callbacks.

	→ `{"message": <Integration Message name>, "message_id": <SM… SID>, "status": <Twilio's>}`."""
	provider = sms_provider(connection)
	params: dict[str, Any] = {"to": to, "body": body}
	if sender:
		params["from"] = sender
	if messaging_service_sid:
		params["messaging_service_sid"] = messaging_service_sid
	if media_url:
		params["media_url"] = list(media_url)
	callback = status_callback or status_callback_url()
	if callback:
		params["status_callback"] = callback
	result = call(connection, "messages.send", params, idempotency_key=idempotency_key)
	name = record_sent(
		connection=connection, channel="SMS", provider=provider, message_id=result["message_id"],
		sender=sender or messaging_service_sid, recipient=to, subject=body[:140],
		reference_doctype=reference_doctype, reference_name=reference_name,
	)  # fmt: skip
	return {"message": name, "message_id": result["message_id"], "status": result["status"]}


def test_sms(connection: str, to: str, sender: str | None = None) -> dict:
	"""The "Send test SMS" action of desk's Try it panel (`api/providers.test_operation`)."""
	sender = sender or frappe.db.get_single_value("Integration Settings", "sms_sender")
	if not sender:
		frappe.throw(_("Give a From number (or set SMS From in Integration Settings)"))
	field = "messaging_service_sid" if sender.startswith("MG") else "sender"
	return send_sms(
		connection, to, _("Test SMS from {0}").format(frappe.local.site),
		reference_doctype="Integration Connection", reference_name=connection, **{field: sender},
	)  # fmt: skip
