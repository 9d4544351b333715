"""Email through a connection whose API is SendGrid, Mailgun or Amazon SES (sidecar operation
`mail.send`, see sidecar/README.md "Operations"). Every message sent is kept as an Integration
Message whose status the provider's delivery events move on (Queued → Delivered / Bounced /
Complained / Failed).

    from integrations_app.providers.email import send_email
    send_email("SendGrid Prod", to="ana@example.org", subject="Invoice", sender="billing@example.com",
               html="<p>…</p>", attachments=[{"filename": "inv.pdf", "content": pdf_bytes, "type": "application/pdf"}],
               reference_doctype="Sales Invoice", reference_name="SINV-0001")
"""

import base64
from typing import Any

import frappe
from frappe import _

from integrations_app.connections import errors
from integrations_app.connections.config import CONNECTION
from integrations_app.messaging.messages import record_sent
from integrations_app.providers.call import call
from integrations_app.providers.catalogue import sidecar_provider

EMAIL_PROVIDERS = ("sendgrid", "mailgun", "amazon_ses")
# Providers that take a MIME message as it is; SendGrid needs its parts (messaging/rules/mime.py).
RAW_PROVIDERS = ("mailgun", "amazon_ses")


def email_provider(connection: str) -> str:
	"""The connection's email API (`sendgrid`, `mailgun`, `amazon_ses`); raises if it has none."""
	provider = sidecar_provider(frappe.db.get_value(CONNECTION, connection, "api_provider"))
	if provider not in EMAIL_PROVIDERS:
		raise errors.ProviderUnset(_("Connection {0} does not send email: set its API to SendGrid, Mailgun or Amazon SES").format(connection))
	return provider


def _addresses(value) -> list:
	if value is None:
		return []
	return [value] if isinstance(value, str | dict) else list(value)


def _attachment(a: dict) -> dict:
	content = a["content"]
	if isinstance(content, bytes | bytearray):
		content = base64.b64encode(content).decode()
	return {"filename": a["filename"], "content": content, "type": a.get("type") or "application/octet-stream"}


def send_email(
	connection: str,
	to,
	subject: str,
	*,
	sender,
	text: str | None = None,
	html: str | None = None,
	cc=None,
	bcc=None,
	reply_to=None,
	headers: dict | None = None,
	attachments: list[dict] | None = None,
	metadata: dict | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	idempotency_key: str | None = None,
	**provider_params: Any,
) -> dict:
	"""Send one email. Addresses are strings or `{"email", "name"}`; `to`, `cc`, `bcc` one or a
	list. Attachments: `{"filename", "content": bytes or base64 str, "type"}`. `metadata` comes
	back in the provider's events. `provider_params`: the provider's own (`domain` for Mailgun,
	`configuration_set` for SES). With an `idempotency_key` a rate-limited or failed attempt is
	retried (at-least-once; these APIs cannot dedupe); without, one attempt.

	→ `{"message": <Integration Message name>, "message_id": <provider's id>}`. Raises
	`connections.errors.CallError` subclasses (`ProviderRejected`, `ProviderFailed`…)."""
	provider = email_provider(connection)
	params: dict[str, Any] = {"from": sender, "to": _addresses(to), "subject": subject, **provider_params}
	for key, value in (("text", text), ("html", html), ("reply_to", reply_to), ("headers", headers), ("metadata", metadata)):
		if value is not None:
			params[key] = value
	for key, value in (("cc", cc), ("bcc", bcc)):
		if value:
			params[key] = _addresses(value)
	if attachments:
		params["attachments"] = [_attachment(a) for a in attachments]
	result = call(connection, "mail.send", params, idempotency_key=idempotency_key)
	name = record_sent(
		connection=connection, channel="Email", provider=provider, message_id=result["message_id"],
		sender=_plain(sender), recipient=", ".join(_plain(a) for a in params["to"]), subject=subject,
		reference_doctype=reference_doctype, reference_name=reference_name,
	)  # fmt: skip
	return {"message": name, "message_id": result["message_id"]}


def send_raw_email(
	connection: str,
	raw: bytes,
	*,
	sender: str,
	recipients: list[str],
	subject: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	idempotency_key: str | None = None,
) -> dict:
	"""Send a MIME message as it is to `recipients` (the envelope: Bcc included). Mailgun and
	SES send it untouched; for SendGrid, which takes no raw message, it is taken apart into
	from, subject, bodies, attachments and headers, one send per recipient."""
	from integrations_app.messaging.rules.mime import mime_to_email_params

	provider = email_provider(connection)
	if provider in RAW_PROVIDERS:
		params = {"raw": base64.b64encode(raw).decode(), "from": sender, "to": list(recipients)}
		results = [call(connection, "mail.send_raw", params, idempotency_key=idempotency_key)]
	else:
		results = [
			call(connection, "mail.send", mime_to_email_params(raw, r), idempotency_key=f"{idempotency_key}:{r}" if idempotency_key else None)
			for r in recipients
		]
	names = [
		record_sent(
			connection=connection, channel="Email", provider=provider, message_id=result["message_id"], sender=sender,
			recipient=", ".join(recipients), subject=subject, reference_doctype=reference_doctype, reference_name=reference_name,
		)  # fmt: skip
		for result in results
	]
	return {"messages": names, "message_ids": [r["message_id"] for r in results]}


def _plain(address) -> str:
	return address.get("email", "") if isinstance(address, dict) else str(address)


def test_email(connection: str, to: str, sender: str | None = None) -> dict:
	"""The "Send test email" action of desk's Try it panel (`api/providers.test_operation`)."""
	sender = sender or frappe.db.get_value("Email Account", {"default_outgoing": 1}, "email_id")
	if not sender:
		frappe.throw(_("Give a From address (one the provider lets you send from)"))
	site = frappe.local.site
	return send_email(
		connection,
		to=to,
		sender=sender,
		subject=_("Test email from {0}").format(site),
		text=_("This test email was sent through the Integration Connection {0}.").format(connection),
		html="<p>{}</p>".format(frappe.utils.escape_html(_("This test email was sent through the Integration Connection {0}.").format(connection))),
		reference_doctype="Integration Connection",
		reference_name=connection,
	)
