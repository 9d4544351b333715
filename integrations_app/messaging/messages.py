"""Integration Message rows: one per email or SMS sent through a connection, its status kept
by the provider's delivery events (inbound webhooks). The rules are Frappe-free
(`messaging/rules/message_status.py`); this module reads and writes the rows.

Register nothing yourself: hooks.py maps the sendgrid, mailgun, ses and twilio inbound events
to `on_inbound_event`.
"""

import frappe
from frappe.utils import now_datetime

from integrations_app.messaging.rules.message_status import QUEUED, MessageUpdate, next_status, update_from_event

MESSAGE = "Integration Message"
REALTIME_EVENT = "integrations_message"
# Inbound endpoints name SES "ses" (its SNS scheme); connections name the API "amazon_ses".
API_PROVIDER_OF_INBOUND = {"sendgrid": "sendgrid", "mailgun": "mailgun", "ses": "amazon_ses", "twilio": "twilio"}
MAX_DETAIL = 500


def record_sent(
	*,
	connection: str,
	channel: str,
	provider: str,
	message_id: str,
	sender: str | None,
	recipient: str,
	subject: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
) -> str:
	"""Insert the Integration Message for a message the provider accepted; returns its name."""
	doc = frappe.get_doc(
		{
			"doctype": MESSAGE,
			"connection": connection,
			"channel": channel,
			"provider": provider,
			"provider_message_id": message_id,
			"status": QUEUED,
			"sender": (sender or "")[:320],
			"recipient": recipient,
			"subject": subject,
			"sent_at": now_datetime(),
			"status_at": now_datetime(),
			"reference_doctype": reference_doctype,
			"reference_name": reference_name,
		}
	)
	# The log must never fail a send: the reference may be a row of the same, uncommitted
	# transaction (an Email Queue being sent) or gone by now.
	doc.flags.ignore_links = True
	doc.insert(ignore_permissions=True)
	_publish(doc)
	return doc.name


def apply_update(provider: str, update: MessageUpdate, inbound_event: str | None = None) -> str | None:
	"""Add the event to its message's timeline and move the status forward if it says so;
	→ the message's name, or None when this site has no such message (the provider account
	also sends mail this app did not, e.g. campaigns). Locks the row, so two events of one
	message processed at once cannot both win."""
	name = frappe.db.get_value(MESSAGE, {"provider": provider, "provider_message_id": update.message_id}, "name", for_update=True)
	if not name:
		return None
	doc = frappe.get_doc(MESSAGE, name)
	doc.append(
		"events",
		{"event": update.event[:140], "status": update.status, "at": update.at or now_datetime(), "detail": update.detail[:MAX_DETAIL], "inbound_event": inbound_event},
	)
	status = next_status(doc.status, update.status)
	if status:
		doc.status = status
		doc.status_at = update.at or now_datetime()
		if update.detail:
			doc.status_detail = update.detail[:MAX_DETAIL]
	doc.flags.ignore_links = True  # as when it was recorded: the reference may be gone
	doc.save(ignore_permissions=True)
	_publish(doc)
	return doc.name


def on_inbound_event(event, payload) -> None:
	"""Inbound handler (hooks.py) for the providers' delivery events. An event naming no
	message of ours (an incoming SMS, an SNS subscription notice, mail sent by other tools
	through the same account) is left alone."""
	update = update_from_event(event.provider, payload)
	if update is None:
		return
	apply_update(API_PROVIDER_OF_INBOUND[event.provider], update, inbound_event=event.name)


def _publish(doc) -> None:
	frappe.publish_realtime(
		REALTIME_EVENT,
		{"name": doc.name, "status": doc.status, "channel": doc.channel, "connection": doc.connection},
		doctype=MESSAGE,
		after_commit=True,
	)
