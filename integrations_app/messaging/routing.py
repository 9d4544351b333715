"""The site's own email and SMS through a connection (opt-in, Integration Settings > Email and SMS).

What Frappe v15 allows, and what this uses:
- Email: `EmailQueue.send` calls the `override_email_send` hook, when an app registers one,
  instead of SMTP, once per recipient with the built MIME message; Email Queue's statuses and
  retries stay Frappe's (a raise here is a failed send). hooks.py registers `send_queued_email`,
  which sends through the chosen connection when routing is on and through SMTP, as Frappe
  would, when it is off.
- SMS: `frappe.core.doctype.sms_settings.sms_settings.send_sms` has no hook, and Python callers
  (Notification, ERPNext) import it by name. Two doors remain: `override_whitelisted_methods`
  for desk's calls to it over HTTP (`send_sms_whitelisted`), and SMS Settings itself: its
  gateway URL can be this app's `integrations_app.api.sms_gateway.send`, so every `send_sms`,
  from Python too, ends in the Twilio connection.
"""

from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import parseaddr

import frappe
from frappe import _

from integrations_app.providers.catalogue import sidecar_provider

SETTINGS = "Integration Settings"
CONNECTION = "Integration Connection"
EMAIL_APIS = ("sendgrid", "mailgun", "amazon_ses")
SMS_APIS = ("twilio",)


def validate_messaging_settings(doc) -> None:
	"""Integration Settings: the chosen connections must speak email / SMS."""
	if doc.route_site_email:
		if not doc.email_connection:
			frappe.throw(_("Choose the Email Connection the site's emails go through"))
		api = sidecar_provider(frappe.db.get_value(CONNECTION, doc.email_connection, "api_provider"))
		if api not in EMAIL_APIS:
			frappe.throw(_("Email Connection {0} must have SendGrid, Mailgun or Amazon SES as its API").format(doc.email_connection))
	if doc.sms_connection:
		api = sidecar_provider(frappe.db.get_value(CONNECTION, doc.sms_connection, "api_provider"))
		if api not in SMS_APIS:
			frappe.throw(_("SMS Connection {0} must have Twilio as its API").format(doc.sms_connection))
		if not (doc.sms_sender or "").strip():
			frappe.throw(_("SMS From is required to send SMS"))
		doc.sms_sender = doc.sms_sender.strip()


def routed_email_connection() -> str | None:
	settings = frappe.get_cached_doc(SETTINGS)
	return settings.email_connection if settings.route_site_email and settings.email_connection else None


# --- email: the override_email_send hook


def send_queued_email(queue_doc, sender: str, recipient: str, message: bytes) -> None:
	"""`override_email_send` (hooks.py): one recipient of an Email Queue row."""
	connection = routed_email_connection()
	if not connection:
		_send_smtp(queue_doc, sender, recipient, message)
		return
	from integrations_app.providers.email import send_raw_email

	subject = str(message_from_bytes(message, policy=default_policy).get("Subject", ""))
	send_raw_email(
		connection,
		message,
		sender=parseaddr(sender)[1] or sender,
		recipients=[recipient],
		subject=subject[:1000],
		reference_doctype="Email Queue",
		reference_name=queue_doc.name,
		# Frappe retries a row that failed: a recipient already accepted is not sent twice by a
		# provider retry within this attempt, and the key ties the attempts together in logs.
		idempotency_key=f"email-queue:{queue_doc.name}:{recipient}",
	)


def _send_smtp(queue_doc, sender: str, recipient: str, message: bytes) -> None:
	"""What EmailQueue.send does without the hook (v15 `email_queue.py`): one SMTP session per
	queue row, as Frappe's own flush opens one per row."""
	if frappe.flags.in_test and not frappe.flags.testing_email:
		return
	server = queue_doc.flags.integrations_smtp_server
	if server is None:
		server = queue_doc.flags.integrations_smtp_server = queue_doc.get_email_account(raise_error=True).get_smtp_server()
	server.session.sendmail(from_addr=sender, to_addrs=recipient, msg=message.decode("utf-8").encode())


# --- SMS


def sms_connection() -> tuple[str, str] | None:
	"""(connection, sender) when Integration Settings names an SMS connection."""
	settings = frappe.get_cached_doc(SETTINGS)
	return (settings.sms_connection, settings.sms_sender) if settings.sms_connection else None


def send_sms_through_connection(receivers: list[str], message: str) -> list[str]:
	"""Send `message` to each number; → the numbers the provider accepted. A number it refused
	is logged and skipped, as Frappe's gateway sender does."""
	from integrations_app.connections.errors import CallError
	from integrations_app.providers.sms import send_sms

	connection, sender = sms_connection()
	field = "messaging_service_sid" if sender.startswith("MG") else "sender"
	accepted = []
	for number in receivers:
		try:
			send_sms(connection, number, message, **{field: sender})
		except CallError:
			frappe.log_error(title=_("SMS to {0} not sent").format(number))
			continue
		accepted.append(number)
	return accepted


@frappe.whitelist()
def send_sms_whitelisted(receiver_list, msg, sender_name="", success_msg=True):
	"""`override_whitelisted_methods` for `frappe.core.doctype.sms_settings.sms_settings.send_sms`:
	through the SMS connection when one is set, else Frappe's own."""
	from frappe.core.doctype.sms_settings import sms_settings

	if not sms_connection():
		return sms_settings.send_sms(receiver_list, msg, sender_name=sender_name, success_msg=success_msg)
	if isinstance(receiver_list, str):
		receiver_list = frappe.parse_json(receiver_list)
		if not isinstance(receiver_list, list):
			receiver_list = [receiver_list]
	receivers = sms_settings.validate_receiver_nos(receiver_list)
	message = frappe.safe_decode(msg)
	accepted = send_sms_through_connection(receivers, message)
	if accepted:
		sms_settings.create_sms_log({"message": message.encode("utf-8"), "receiver_list": receivers, "sender_name": sender_name}, accepted)
		if frappe.utils.cint(success_msg):
			frappe.msgprint(_("SMS sent to following numbers: {0}").format("\n" + "\n".join(accepted)))
	return accepted
