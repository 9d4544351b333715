"""Status of a sent email or SMS (Integration Message) from the providers' events. Frappe-free.

Providers deliver events at least once and in no guaranteed order (a Twilio `sent` callback can
arrive after `delivered`; SES can report a bounce after a delivery). So a status only moves
forward, by rank: Queued < Sent < Delivered < Bounced / Failed / Undelivered < Complained.
A bounce after a delivery is news (the mailbox rejected it later) and wins; a late `sent` or
`delivered` after a bounce changes nothing; a complaint (the recipient marked it as spam) comes
after delivery and outranks everything. Events that report no status (a deferral, a transient
bounce, an open) are kept in the message's timeline and leave the status as it is.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timezone

QUEUED, SENT, DELIVERED = "Queued", "Sent", "Delivered"
BOUNCED, FAILED, UNDELIVERED, COMPLAINED = "Bounced", "Failed", "Undelivered", "Complained"
STATUSES = (QUEUED, SENT, DELIVERED, BOUNCED, FAILED, UNDELIVERED, COMPLAINED)
_RANK = {QUEUED: 0, SENT: 1, DELIVERED: 2, BOUNCED: 3, FAILED: 3, UNDELIVERED: 3, COMPLAINED: 4}
FINAL = frozenset({BOUNCED, FAILED, UNDELIVERED, COMPLAINED})


def next_status(current: str | None, reported: str | None) -> str | None:
	"""The status after an event reporting `reported`, or None when it does not change."""
	if reported is None:
		return None
	if reported not in _RANK:
		raise ValueError(f"unknown message status {reported!r}")
	if current not in _RANK or _RANK[reported] > _RANK[current]:
		return reported
	return None


@dataclass(frozen=True)
class MessageUpdate:
	"""One provider event about one message."""

	message_id: str
	#: the provider's own event name (`delivered`, `Bounce`, `undelivered`…)
	event: str
	#: the status it reports, or None for an event that only goes in the timeline
	status: str | None
	#: when it happened, UTC (naive), if the provider says
	at: datetime | None
	#: a short human-readable reason (bounce type, error code…)
	detail: str = ""


def _utc_from_unix(value) -> datetime | None:
	try:
		return datetime.fromtimestamp(float(value), tz=timezone.utc).replace(tzinfo=None)
	except (TypeError, ValueError, OverflowError):
		return None


def _utc_from_iso(value) -> datetime | None:
	if not isinstance(value, str) or not value:
		return None
	try:
		parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
	except ValueError:
		return None
	return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def _as_dict(payload) -> dict:
	if isinstance(payload, str):
		payload = json.loads(payload)
	if not isinstance(payload, dict):
		raise ValueError("the event payload is not a JSON object")
	return payload


# --- SendGrid event webhook: one event per payload (the sidecar splits the array)

_SENDGRID = {"processed": SENT, "delivered": DELIVERED, "bounce": BOUNCED, "blocked": BOUNCED, "dropped": FAILED, "spamreport": COMPLAINED}


def sendgrid_update(payload) -> MessageUpdate | None:
	"""`sg_message_id` is `<X-Message-Id>.<filter suffix>`: the part before the first dot is
	the id the send answered."""
	e = _as_dict(payload)
	sg_id = e.get("sg_message_id")
	if not isinstance(sg_id, str) or not sg_id:
		return None
	event = str(e.get("event") or "")
	detail = " ".join(str(e[k]) for k in ("type", "status", "reason") if e.get(k))
	return MessageUpdate(sg_id.split(".", 1)[0], event, _SENDGRID.get(event), _utc_from_unix(e.get("timestamp")), detail[:500])


# --- Mailgun webhooks: {signature, "event-data": {...}}


def mailgun_update(payload) -> MessageUpdate | None:
	"""`failed` is final only when `severity` is permanent (Mailgun retries temporary ones)."""
	data = _as_dict(payload).get("event-data")
	if not isinstance(data, dict):
		return None
	message_id = ((data.get("message") or {}).get("headers") or {}).get("message-id")
	if not isinstance(message_id, str) or not message_id:
		return None
	event = str(data.get("event") or "")
	status = {"accepted": QUEUED, "delivered": DELIVERED, "complained": COMPLAINED}.get(event)
	detail = ""
	if event == "failed":
		permanent = data.get("severity") == "permanent"
		reason = str(data.get("reason") or "")
		status = (BOUNCED if reason in ("bounce", "suppress-bounce") else FAILED) if permanent else None
		code = (data.get("delivery-status") or {}).get("code")
		detail = f"{data.get('severity') or ''} {reason} {code or ''}".strip()
	return MessageUpdate(message_id.strip("<>"), event, status, _utc_from_unix(data.get("timestamp")), detail[:500])


# --- Amazon SES through SNS: the SNS envelope, its Message a JSON string


def ses_update(payload) -> MessageUpdate | None:
	"""Identity notifications carry `notificationType`, configuration-set events `eventType`;
	a Transient bounce is a soft one (SES keeps trying) and changes no status."""
	envelope = _as_dict(payload)
	message = envelope.get("Message")
	try:
		body = _as_dict(message)
	except (ValueError, TypeError):
		return None
	kind = str(body.get("notificationType") or body.get("eventType") or "")
	message_id = (body.get("mail") or {}).get("messageId")
	if not isinstance(message_id, str) or not message_id:
		return None
	status, detail, at = None, "", _utc_from_iso((body.get("mail") or {}).get("timestamp"))
	if kind == "Send":
		status = SENT
	elif kind == "Delivery":
		status, at = DELIVERED, _utc_from_iso((body.get("delivery") or {}).get("timestamp")) or at
	elif kind == "Bounce":
		bounce = body.get("bounce") or {}
		kind_of = str(bounce.get("bounceType") or "")
		status = BOUNCED if kind_of in ("Permanent", "Undetermined") else None
		detail = f"{kind_of} {bounce.get('bounceSubType') or ''}".strip()
		at = _utc_from_iso(bounce.get("timestamp")) or at
	elif kind == "Complaint":
		complaint = body.get("complaint") or {}
		status, detail = COMPLAINED, str(complaint.get("complaintFeedbackType") or "")
		at = _utc_from_iso(complaint.get("timestamp")) or at
	elif kind == "Reject":
		status, detail = FAILED, str((body.get("reject") or {}).get("reason") or "")
	return MessageUpdate(message_id, kind, status, at, detail[:500])


# --- Twilio status callbacks: the form's parameters

_TWILIO = {
	"accepted": QUEUED, "scheduled": QUEUED, "queued": QUEUED, "sending": QUEUED, "sent": SENT,
	"delivered": DELIVERED, "read": DELIVERED, "undelivered": UNDELIVERED, "failed": FAILED, "canceled": FAILED,
}  # fmt: skip


def twilio_update(payload) -> MessageUpdate | None:
	form = _as_dict(payload)
	sid = form.get("MessageSid") or form.get("SmsSid")
	status = form.get("MessageStatus") or form.get("SmsStatus")
	if not isinstance(sid, str) or not sid or not isinstance(status, str):
		return None
	detail = f"error {form['ErrorCode']}" if form.get("ErrorCode") else ""
	return MessageUpdate(sid, status, _TWILIO.get(status), None, detail)


PARSERS = {"sendgrid": sendgrid_update, "mailgun": mailgun_update, "ses": ses_update, "twilio": twilio_update}


def update_from_event(provider: str, payload) -> MessageUpdate | None:
	"""The update an inbound event of `provider` carries, or None when it names no message."""
	parse = PARSERS.get(provider)
	return parse(payload) if parse else None
