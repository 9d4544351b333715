"""Integration Message rows: one per email or SMS sent through a connection, its status kept
by the provider's delivery events (inbound webhooks). The rules are Frappe-free
(`messaging/rules/message_status.py`); this module reads and writes the rows.

Register nothing yourself: hooks.py maps the sendgrid, mailgun, ses and twilio inbound events
to `on_inbound_event`.
"""

from datetime import datetime, timezone

import frappe
from frappe.realtime import get_doctype_room
from frappe.utils import get_system_timezone, now_datetime

from integrations_app.messaging.rules.message_status import QUEUED, MessageUpdate, next_status, update_from_event
from integrations_app.timefmt import utc_to_local

MESSAGE = "Integration Message"
REALTIME_EVENT = "integrations_message"
#: A row of the SPA's Messages log (`api/messages.list_messages`) and of each realtime message.
LIST_FIELDS = (
	"name", "connection", "channel", "provider", "provider_message_id", "status", "status_detail", "recipient", "subject",
	"sent_at", "status_at", "reference_doctype", "reference_name", "creation", "modified",
)  # fmt: skip
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
	publish(doc.name)
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
	at = site_time(update.at)
	doc.append(
		"events",
		{"event": update.event[:140], "status": update.status, "at": at, "detail": update.detail[:MAX_DETAIL], "inbound_event": inbound_event},
	)
	status = next_status(doc.status, update.status)
	if status:
		doc.status = status
		doc.status_at = at
		if update.detail:
			doc.status_detail = update.detail[:MAX_DETAIL]
	doc.flags.ignore_links = True  # as when it was recorded: the reference may be gone
	doc.save(ignore_permissions=True)
	publish(doc.name)
	return doc.name


def on_inbound_event(event, payload) -> None:
	"""Inbound handler (hooks.py) for the providers' delivery events. An event naming no
	message of ours (an incoming SMS, an SNS subscription notice, mail sent by other tools
	through the same account) is left alone."""
	update = update_from_event(event.provider, payload)
	if update is None:
		return
	apply_update(API_PROVIDER_OF_INBOUND[event.provider], update, inbound_event=event.name)


def site_time(utc: datetime | None) -> datetime:
	"""A provider's event time (naive UTC) as Frappe keeps Datetime fields: naive, in the System
	Settings time zone, like `sent_at` and the events that carry no time (arrival, `now_datetime`)."""
	if utc is None:
		return now_datetime()
	return utc_to_local(utc.replace(tzinfo=timezone.utc), get_system_timezone())


def summary(name: str) -> dict | None:
	"""The message as a row of the Messages log."""
	return frappe.db.get_value(MESSAGE, name, list(LIST_FIELDS), as_dict=True)


def publish(name: str) -> None:
	"""Tell the SPA's Messages page, once committed. The DocType's room, not the site's: only
	users who may read Integration Message join it (`can_subscribe_doctype`); `doctype=` without a
	docname would send recipients and subjects to every desk user (Frappe's `all` room)."""
	row = summary(name)
	if row:
		frappe.publish_realtime(REALTIME_EVENT, {"items": [row]}, room=get_doctype_room(MESSAGE), after_commit=True)
