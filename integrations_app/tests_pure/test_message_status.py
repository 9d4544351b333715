import base64
import itertools
import json
import unittest
from datetime import datetime
from email.message import EmailMessage

from integrations_app.messaging.rules import message_status as ms
from integrations_app.messaging.rules.mime import mime_to_email_params


def apply(events, start="Queued"):
	status = start
	for reported in events:
		status = ms.next_status(status, reported) or status
	return status


class TestTransitions(unittest.TestCase):
	def test_forward_only(self):
		self.assertEqual(ms.next_status("Queued", "Sent"), "Sent")
		self.assertEqual(ms.next_status("Sent", "Delivered"), "Delivered")
		self.assertIsNone(ms.next_status("Delivered", "Sent"))
		self.assertIsNone(ms.next_status("Delivered", "Delivered"))
		self.assertIsNone(ms.next_status("Sent", None))
		self.assertEqual(ms.next_status(None, "Queued"), "Queued")

	def test_final_statuses_never_regress(self):
		for final in ("Bounced", "Failed", "Undelivered"):
			for late in ("Queued", "Sent", "Delivered"):
				self.assertIsNone(ms.next_status(final, late), (final, late))
		self.assertIsNone(ms.next_status("Bounced", "Failed"))  # first final wins
		self.assertEqual(ms.next_status("Delivered", "Bounced"), "Bounced")  # a late bounce is news
		self.assertEqual(ms.next_status("Bounced", "Complained"), "Complained")
		self.assertIsNone(ms.next_status("Complained", "Bounced"))

	def test_any_order_of_the_same_events_ends_the_same(self):
		events = ["Queued", "Sent", "Delivered", "Undelivered"]
		ends = {apply(order) for order in itertools.permutations(events)}
		self.assertEqual(ends, {"Undelivered"})
		ends = {apply(order) for order in itertools.permutations(["Sent", "Delivered", None, "Complained"])}
		self.assertEqual(ends, {"Complained"})

	def test_unknown_status_is_an_error(self):
		with self.assertRaises(ValueError):
			ms.next_status("Queued", "Opened")


class TestProviderEvents(unittest.TestCase):
	def test_sendgrid(self):
		u = ms.update_from_event("sendgrid", json.dumps({"sg_message_id": "14c5d75ce93.filterdrecv-p3las1-5bf6.0", "event": "bounce", "type": "bounce", "status": "5.1.1", "reason": "no such user", "timestamp": 1700000000, "sg_event_id": "e1"}))
		self.assertEqual(u, ms.MessageUpdate("14c5d75ce93", "bounce", "Bounced", datetime(2023, 11, 14, 22, 13, 20), "bounce 5.1.1 no such user"))
		self.assertEqual(ms.update_from_event("sendgrid", {"sg_message_id": "a.b", "event": "spamreport"}).status, "Complained")
		self.assertEqual(ms.update_from_event("sendgrid", {"sg_message_id": "a.b", "event": "delivered"}).status, "Delivered")
		self.assertIsNone(ms.update_from_event("sendgrid", {"sg_message_id": "a.b", "event": "deferred"}).status)
		self.assertIsNone(ms.update_from_event("sendgrid", {"event": "delivered"}))

	def test_mailgun(self):
		def event(**data):
			return {"signature": {}, "event-data": {"message": {"headers": {"message-id": "20240101.1@mg.example.com"}}, "timestamp": 1700000000.5, **data}}

		u = ms.update_from_event("mailgun", event(event="delivered"))
		self.assertEqual((u.message_id, u.status), ("20240101.1@mg.example.com", "Delivered"))
		self.assertEqual(ms.update_from_event("mailgun", event(event="failed", severity="permanent", reason="bounce", **{"delivery-status": {"code": 550}})).status, "Bounced")
		self.assertEqual(ms.update_from_event("mailgun", event(event="failed", severity="permanent", reason="generic")).status, "Failed")
		temporary = ms.update_from_event("mailgun", event(event="failed", severity="temporary", reason="generic"))
		self.assertIsNone(temporary.status)
		self.assertEqual(temporary.detail, "temporary generic")
		self.assertEqual(ms.update_from_event("mailgun", event(event="complained")).status, "Complained")
		self.assertIsNone(ms.update_from_event("mailgun", {"event-data": {"event": "delivered"}}))

	def test_ses_via_sns(self):
		def sns(body):
			return json.dumps({"Type": "Notification", "MessageId": "sns-1", "Message": json.dumps(body)})

		mail = {"messageId": "0100018b-abc", "timestamp": "2024-01-01T10:00:00.000Z"}
		d = ms.update_from_event("ses", sns({"notificationType": "Delivery", "mail": mail, "delivery": {"timestamp": "2024-01-01T10:00:02.000Z"}}))
		self.assertEqual(d, ms.MessageUpdate("0100018b-abc", "Delivery", "Delivered", datetime(2024, 1, 1, 10, 0, 2), ""))
		b = ms.update_from_event("ses", sns({"notificationType": "Bounce", "mail": mail, "bounce": {"bounceType": "Permanent", "bounceSubType": "General"}}))
		self.assertEqual((b.status, b.detail), ("Bounced", "Permanent General"))
		self.assertIsNone(ms.update_from_event("ses", sns({"notificationType": "Bounce", "mail": mail, "bounce": {"bounceType": "Transient"}})).status)
		self.assertEqual(ms.update_from_event("ses", sns({"eventType": "Complaint", "mail": mail, "complaint": {"complaintFeedbackType": "abuse"}})).status, "Complained")
		self.assertIsNone(ms.update_from_event("ses", json.dumps({"Type": "Notification", "Message": "plain text"})))

	def test_twilio(self):
		u = ms.update_from_event("twilio", json.dumps({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}))
		self.assertEqual(u, ms.MessageUpdate("SM1", "undelivered", "Undelivered", None, "error 30003"))
		self.assertEqual(ms.update_from_event("twilio", {"MessageSid": "SM1", "MessageStatus": "sent"}).status, "Sent")
		self.assertEqual(ms.update_from_event("twilio", {"SmsSid": "SM1", "SmsStatus": "delivered"}).status, "Delivered")
		self.assertIsNone(ms.update_from_event("twilio", {"CallSid": "CA1"}))
		self.assertIsNone(ms.update_from_event("stripe", {"id": "evt"}))

	def test_out_of_order_twilio_callbacks_settle_on_the_final_one(self):
		callbacks = ["queued", "sent", "delivered"]
		for order in itertools.permutations(callbacks):
			status = "Queued"
			for s in order:
				status = ms.next_status(status, ms.twilio_update({"MessageSid": "SM1", "MessageStatus": s}).status) or status
			self.assertEqual(status, "Delivered")


class TestMimeToParams(unittest.TestCase):
	def test_parts_headers_and_attachments(self):
		m = EmailMessage()
		m["From"] = "Acme Billing <billing@example.com>"
		m["To"] = "ana@example.org, bo@example.org"
		m["Reply-To"] = "help@example.com"
		m["Subject"] = "Rechnung für März"
		m["Message-Id"] = "<q1@site.example>"
		m["In-Reply-To"] = "<prev@site.example>"
		m["X-Frappe-Queue"] = "EQ-1"
		m.set_content("Plain body")
		m.add_alternative("<p>HTML body</p>", subtype="html")
		m.add_attachment(b"\x00\xffpdf", maintype="application", subtype="pdf", filename="inv.pdf")
		p = mime_to_email_params(m.as_bytes(), "bo@example.org")
		self.assertEqual(p["from"], {"email": "billing@example.com", "name": "Acme Billing"})
		self.assertEqual(p["to"], ["bo@example.org"])
		self.assertEqual(p["reply_to"], {"email": "help@example.com"})
		self.assertEqual(p["subject"], "Rechnung für März")
		self.assertEqual(p["text"].strip(), "Plain body")
		self.assertEqual(p["html"].strip(), "<p>HTML body</p>")
		self.assertEqual(p["headers"], {"In-Reply-To": "<prev@site.example>", "X-Frappe-Queue": "EQ-1"})
		self.assertEqual(p["attachments"], [{"filename": "inv.pdf", "content": base64.b64encode(b"\x00\xffpdf").decode(), "type": "application/pdf"}])

	def test_no_from_is_an_error(self):
		with self.assertRaises(ValueError):
			mime_to_email_params(b"Subject: x\r\n\r\nbody", "a@example.org")


if __name__ == "__main__":
	unittest.main()
