"""Integration Message, email/SMS sending and the site's mail route (run under a bench:
`bench --site S run-tests --app integrations_app --module integrations_app.tests.test_messaging`).
The sidecar is a real HTTP server answering like it (FakeSidecar)."""

import json
from datetime import datetime
from email.message import EmailMessage
from unittest.mock import patch

import frappe

from integrations_app.api import messages as messages_api
from integrations_app.api import providers as providers_api
from integrations_app.messaging import messages, routing
from integrations_app.messaging.rules.message_status import MessageUpdate
from integrations_app.providers import email, sms
from integrations_app.sidecar.config_sync import inbound_config
from integrations_app.tests.helpers import IM_USER, PLAIN_USER, FakeSidecar, IntegrationsTestCase, configure_sidecar

MESSAGE = "Integration Message"
CONNECTION = "Integration Connection"


def make_connection(name, api, base_url, **fields):
	return frappe.get_doc(
		{"doctype": CONNECTION, "connection_name": name, "auth_type": "Bearer Token", "base_url": base_url, "secret": "k-secret", "api_provider": api, **fields}
	).insert(ignore_permissions=True)


def sidecar_answering(ids):
	"""A FakeSidecar whose /call answers the next message id of `ids` (an iterator)."""
	sidecar = FakeSidecar()

	def respond(method, path, body):
		if path.endswith("/call"):
			return 200, {"provider": "x", "operation": body["operation"], "result": {"message_id": next(ids), "status": "queued"}}
		return 200, {}

	sidecar.respond = respond
	return sidecar


class InboundEvent(frappe._dict):
	"""What a handler receives: the Integration Inbound Event's provider and name."""


class TestIntegrationMessage(IntegrationsTestCase):
	def as_user(self, user):
		frappe.set_user(user)
		self.addCleanup(frappe.set_user, "Administrator")

	def test_send_email_keeps_the_message_and_events_move_its_status_forward_only(self):
		make_connection("SendGrid T", "SendGrid", "https://api.sendgrid.com")
		with sidecar_answering(iter(["sg-1"])) as sidecar:
			configure_sidecar(sidecar.url)
			out = email.send_email(
				"SendGrid T", to=["ana@example.org"], subject="Hi", sender="billing@example.com", text="t",
				attachments=[{"filename": "a.bin", "content": b"\x00\xff", "type": "application/octet-stream"}],
				reference_doctype="ToDo", reference_name="x", idempotency_key="k1",
			)  # fmt: skip
			call = next(r for r in sidecar.requests if r["path"].endswith("/call"))
		self.assertEqual(call["body"]["operation"], "mail.send")
		self.assertEqual(call["body"]["idempotency_key"], "k1")
		self.assertEqual(call["body"]["params"]["attachments"], [{"filename": "a.bin", "content": "AP8=", "type": "application/octet-stream"}])
		doc = frappe.get_doc(MESSAGE, out["message"])
		self.assertEqual((doc.provider, doc.provider_message_id, doc.status, doc.channel, doc.recipient), ("sendgrid", "sg-1", "Queued", "Email", "ana@example.org"))

		def sg(event, **extra):
			return json.dumps({"sg_message_id": "sg-1.filter0001", "event": event, "sg_event_id": event, "timestamp": 1700000000, **extra})

		messages.on_inbound_event(InboundEvent(provider="sendgrid", name="ev-1"), sg("delivered"))
		messages.on_inbound_event(InboundEvent(provider="sendgrid", name="ev-2"), sg("processed"))  # late: no regression
		doc.reload()
		self.assertEqual(doc.status, "Delivered")
		messages.on_inbound_event(InboundEvent(provider="sendgrid", name="ev-3"), sg("spamreport"))
		doc.reload()
		self.assertEqual(doc.status, "Complained")
		self.assertEqual([(e.event, e.status, e.inbound_event) for e in doc.events], [("delivered", "Delivered", "ev-1"), ("processed", "Sent", "ev-2"), ("spamreport", "Complained", "ev-3")])

	def test_events_of_messages_we_did_not_send_are_left_alone(self):
		before = frappe.db.count(MESSAGE)
		messages.on_inbound_event(InboundEvent(provider="twilio", name="e"), {"MessageSid": "SMnot-ours", "MessageStatus": "delivered"})
		messages.on_inbound_event(InboundEvent(provider="twilio", name="e"), {"SmsSid": "SMx", "Body": "incoming"})
		self.assertEqual(frappe.db.count(MESSAGE), before)

	def test_send_sms_uses_the_twilio_endpoint_as_status_callback(self):
		make_connection("Twilio T", "Twilio", "https://api.twilio.com/2010-04-01/Accounts/AC0123")
		frappe.db.set_single_value("Integration Settings", "site_public_url", "https://erp.example.com")
		frappe.get_doc({"doctype": "Integration Inbound Endpoint", "slug": "twilio-sms", "provider": "twilio", "secret": "token", "enabled": 1}).insert(ignore_permissions=True)
		with sidecar_answering(iter(["SM1"])) as sidecar:
			configure_sidecar(sidecar.url)
			out = sms.send_sms("Twilio T", "+14155550100", "Code 1", sender="+14155550199")
			call = next(r for r in sidecar.requests if r["path"].endswith("/call"))
		self.assertEqual(call["body"]["params"], {"to": "+14155550100", "body": "Code 1", "from": "+14155550199", "status_callback": "https://erp.example.com/v1/inbound/twilio-sms"})
		messages.on_inbound_event(InboundEvent(provider="twilio", name="e1"), {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"})
		messages.on_inbound_event(InboundEvent(provider="twilio", name="e2"), {"MessageSid": "SM1", "MessageStatus": "sent"})
		doc = frappe.get_doc(MESSAGE, out["message"])
		self.assertEqual((doc.status, doc.status_detail), ("Undelivered", "error 30003"))

	def test_twilio_endpoint_config_carries_the_signed_url(self):
		frappe.db.set_single_value("Integration Settings", "site_public_url", "https://erp.example.com")
		ep = frappe.get_doc({"doctype": "Integration Inbound Endpoint", "slug": "tw", "provider": "twilio", "secret": "token", "enabled": 1}).insert(ignore_permissions=True)
		self.assertEqual(inbound_config(ep)["options"], {"public_url": "https://erp.example.com/v1/inbound/tw"})
		ep.twilio_signed_url = "https://proxy.example.com/hooks/tw?site=a"
		ep.save(ignore_permissions=True)
		self.assertEqual(inbound_config(ep)["options"], {"public_url": "https://proxy.example.com/hooks/tw?site=a"})

	def test_settings_refuse_connections_of_the_wrong_kind(self):
		make_connection("Stripe T", "Stripe", "https://api.stripe.com")
		settings = frappe.get_single("Integration Settings")
		settings.route_site_email, settings.email_connection = 1, "Stripe T"
		self.assertRaises(frappe.ValidationError, settings.save, ignore_permissions=True)
		settings.reload()
		settings.sms_connection = "Stripe T"
		self.assertRaises(frappe.ValidationError, settings.save, ignore_permissions=True)

	def test_queued_email_goes_through_the_connection_when_routed(self):
		make_connection("Mailgun T", "Mailgun", "https://api.eu.mailgun.net")
		m = EmailMessage()
		m["From"], m["To"], m["Subject"] = "Site <noreply@example.com>", "ana@example.org", "Welcome"
		m.set_content("hello")
		queue = frappe._dict(name="EQ-1", flags=frappe._dict())
		with sidecar_answering(iter(["mg-1"])) as sidecar:
			configure_sidecar(sidecar.url)
			# not routed: SMTP as Frappe does (which tests skip): the sidecar is not called
			routing.send_queued_email(queue, "Site <noreply@example.com>", "ana@example.org", m.as_bytes())
			self.assertFalse([r for r in sidecar.requests if r["path"].endswith("/call")])
			settings = frappe.get_single("Integration Settings")
			settings.route_site_email, settings.email_connection = 1, "Mailgun T"
			settings.save(ignore_permissions=True)
			routing.send_queued_email(queue, "Site <noreply@example.com>", "ana@example.org", m.as_bytes())
			[call] = [r for r in sidecar.requests if r["path"].endswith("/call")]
		self.assertEqual(call["body"]["operation"], "mail.send_raw")
		self.assertEqual((call["body"]["params"]["from"], call["body"]["params"]["to"]), ("noreply@example.com", ["ana@example.org"]))
		self.assertEqual(call["body"]["idempotency_key"], "email-queue:EQ-1:ana@example.org")
		row = frappe.db.get_value(MESSAGE, {"provider_message_id": "mg-1"}, ["reference_doctype", "reference_name", "subject"], as_dict=True)
		self.assertEqual((row.reference_doctype, row.reference_name, row.subject), ("Email Queue", "EQ-1", "Welcome"))

	def test_messages_api_and_try_it_for_integration_managers_only(self):
		make_connection("SendGrid T", "SendGrid", "https://api.sendgrid.com")
		with sidecar_answering(iter(["sg-9"])) as sidecar:
			configure_sidecar(sidecar.url)
			self.as_user(IM_USER)
			out = providers_api.test_operation("SendGrid T", {"to": "ana@example.org", "sender": "billing@example.com"})
			self.assertEqual((out["area"], out["ok"], out["message_id"]), ("email", True, "sg-9"))
			rows = messages_api.list_messages(channel="Email")
			self.assertEqual(rows[0]["provider_message_id"], "sg-9")
			self.assertEqual(messages_api.get_message(rows[0]["name"])["events"], [])
			frappe.set_user(PLAIN_USER)
			self.assertRaises(frappe.PermissionError, messages_api.list_messages)
			self.assertRaises(frappe.PermissionError, providers_api.test_operation, "SendGrid T", {"to": "ana@example.org"})

	def test_read_by_integration_managers_and_nobody_else(self):
		name = messages.record_sent(connection="SendGrid T", channel="Email", provider="sendgrid", message_id="sg-r", sender="a@example.com", recipient="ana@example.org", subject="S")
		self.as_user(IM_USER)
		self.assertIn(name, [r["name"] for r in messages_api.list_messages(status="Queued", channel="Email")])
		self.assertNotIn(name, [r["name"] for r in messages_api.list_messages(channel="SMS")])
		self.assertNotIn(name, [r["name"] for r in messages_api.list_messages(status="Delivered")])
		self.assertEqual(messages_api.get_message(name)["sender"], "a@example.com")
		self.assertRaises(frappe.ValidationError, messages_api.list_messages, status="Opened")
		self.assertRaises(frappe.ValidationError, messages_api.list_messages, channel="Fax")
		frappe.set_user(PLAIN_USER)
		self.assertRaises(frappe.PermissionError, messages_api.list_messages)
		self.assertRaises(frappe.PermissionError, messages_api.get_message, name)
		self.assertFalse(frappe.has_permission(MESSAGE, "read", user=PLAIN_USER))
		self.assertTrue(frappe.has_permission(MESSAGE, "read", user=IM_USER))

	def test_each_change_is_published_to_the_doctypes_readers_as_a_list_row(self):
		with patch("frappe.publish_realtime", wraps=frappe.publish_realtime) as published:
			name = messages.record_sent(connection="Twilio T", channel="SMS", provider="twilio", message_id="SMp", sender=None, recipient="+14155550100")
			messages.apply_update("twilio", MessageUpdate("SMp", "delivered", "Delivered", None))
		self.as_user(IM_USER)
		listed = next(r for r in messages_api.list_messages(channel="SMS") if r["name"] == name)
		rows = []
		for call in published.call_args_list:
			event = call.args[0] if call.args else call.kwargs.get("event")
			if event != messages.REALTIME_EVENT:
				continue  # Frappe's own doc_update / list_update
			# the DocType's room (readers only), never the site's `all` room
			self.assertEqual((call.kwargs["room"], call.kwargs["after_commit"]), (frappe.realtime.get_doctype_room(MESSAGE), True))
			rows += call.args[1]["items"]
		self.assertEqual([(r["name"], r["status"]) for r in rows], [(name, "Queued"), (name, "Delivered")])
		self.assertEqual(set(rows[-1]), set(listed))
		self.assertEqual(rows[-1], listed)

	def test_provider_times_are_kept_in_the_sites_time_zone(self):
		with patch.object(messages, "get_system_timezone", return_value="Asia/Kolkata"):
			name = messages.record_sent(connection="SendGrid T", channel="Email", provider="sendgrid", message_id="sg-t", sender=None, recipient="ana@example.org")
			# SendGrid's timestamp 1700000000 is 2023-11-14 22:13:20 UTC: 03:43:20 the next day in Kolkata
			messages.on_inbound_event(InboundEvent(provider="sendgrid", name="e"), json.dumps({"sg_message_id": "sg-t.f", "event": "delivered", "timestamp": 1700000000}))
		self.as_user(IM_USER)
		out = messages_api.get_message(name)
		self.assertEqual(out["events"][0]["at"], datetime(2023, 11, 15, 3, 43, 20))
		self.assertEqual(out["status_at"], datetime(2023, 11, 15, 3, 43, 20))
