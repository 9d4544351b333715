import json

import frappe
from frappe.desk.form.save import savedocs

from integrations_app import retention
from integrations_app.outbound import doc_events as outbox_events
from integrations_app.outbound import outbox
from integrations_app.sidecar.client import SidecarClient
from integrations_app.tests.helpers import (
	DELIVERY,
	FakeSidecar,
	IntegrationsTestCase,
	configure_sidecar,
	deliveries_for,
	flush,
	make_todo,
	make_webhook,
)


class TestOutboxTransaction(IntegrationsTestCase):
	def test_rows_are_written_in_the_document_transaction(self):
		make_webhook(events=["after_insert"])
		todo = make_todo()
		self.assertEqual(deliveries_for(todo), [], "nothing is written before commit")
		flush()
		self.assertEqual(len(deliveries_for(todo)), 1)

		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("ToDo", todo.name))
		self.assertEqual(deliveries_for(todo), [], "rolled back with the document")

	def test_rollback_discards_pending_matches(self):
		make_webhook(events=["after_insert"])
		todo_name = make_todo().name
		frappe.db.rollback()
		self.assertIsNone(getattr(frappe.local, outbox_events.PENDING_KEY, None))
		flush()
		self.assertEqual(frappe.db.count(DELIVERY, {"reference_name": todo_name}), 0)


class TestOutboxMatching(IntegrationsTestCase):
	def test_event_naming_and_insert_quirk(self):
		make_webhook(events=["after_insert", "on_update", "on_trash"])
		todo = make_todo()
		flush()
		self.assertEqual([d.event_type for d in deliveries_for(todo)], ["todo.created"], "insert's on_update is ignored")

		todo.description = "changed"
		todo.save()
		flush()
		todo.delete()
		flush()
		self.assertEqual(
			[d.event_type for d in deliveries_for(todo)], ["todo.created", "todo.updated", "todo.deleted"]
		)

	def test_after_insert_only_webhook_ignores_later_saves(self):
		make_webhook(events=["after_insert"])
		todo = make_todo()
		todo.description = "again"
		todo.save()
		flush()
		self.assertEqual([d.event_type for d in deliveries_for(todo)], ["todo.created"])

	def test_dedup_keeps_last_state(self):
		make_webhook(events=["on_update"])
		todo = make_todo("first")
		for text in ("second", "third"):
			todo.description = text
			todo.save()
		flush()
		rows = deliveries_for(todo)
		self.assertEqual(len(rows), 1)
		self.assertEqual(rows[0].event_type, "todo.updated")
		self.assertEqual(json.loads(rows[0].payload)["description"], "third")

	def test_broken_condition_does_not_break_the_save(self):
		webhook = make_webhook(events=["after_insert"], condition="doc.description.no_such_method()")
		todo = make_todo()  # must not raise
		flush()
		self.assertTrue(frappe.db.exists("ToDo", todo.name))
		self.assertEqual(deliveries_for(todo), [])
		error = frappe.db.get_value("Integration Webhook", webhook.name, "last_condition_error")
		self.assertIn("no_such_method", error)
		self.assertTrue(frappe.db.exists("Error Log", {"reference_name": webhook.name}))

	def test_condition_filters(self):
		make_webhook(events=["after_insert"], condition="doc.description == 'yes'")
		wanted, unwanted = make_todo("yes"), make_todo("no")
		flush()
		self.assertEqual(len(deliveries_for(wanted)), 1)
		self.assertEqual(deliveries_for(unwanted), [])

	def test_fields_and_template_payloads(self):
		make_webhook(events=["after_insert"], payload_type="Fields", payload_fields="description\nstatus", title="fields")
		make_webhook(
			events=["after_insert"],
			payload_type="Template",
			payload_template='{"text": {{ doc.description | tojson }}}',
			title="template",
		)
		make_webhook(events=["after_insert"], payload_type="Template", payload_template="{{ doc.description }}", title="bad")
		todo = make_todo("hello")
		flush()
		by_title = {
			frappe.db.get_value("Integration Webhook", d.webhook, "title"): d for d in deliveries_for(todo)
		}
		self.assertEqual(
			json.loads(by_title["fields"].payload),
			{"doctype": "ToDo", "name": todo.name, "description": "hello", "status": "Open"},
		)
		self.assertEqual(json.loads(by_title["template"].payload), {"text": "hello"})
		self.assertEqual(by_title["bad"].status, "Failed")
		self.assertIn("valid JSON", by_title["bad"].last_error)

	def test_document_payload_leaves_out_the_forms_state(self):
		"""Desk saves what the form holds, `__islocal`/`__unsaved` on the document and its rows
		included (`savedocs`): the payload carries the data only."""
		make_webhook(events=["after_insert", "on_update"], reference_doctype="Contact")
		form = {
			"doctype": "Contact",
			"name": "new-contact-1",
			"__islocal": 1,
			"__unsaved": 1,
			"first_name": "Outbox Payload",
			"email_ids": [
				{
					"doctype": "Contact Email",
					"name": "new-contact-email-1",
					"__islocal": 1,
					"__unsaved": 1,
					"parentfield": "email_ids",
					"parenttype": "Contact",
					"email_id": "outbox-payload@example.com",
					"is_primary": 1,
				}
			],
		}
		savedocs(json.dumps(form), "Save")
		contact = frappe.get_last_doc("Contact", filters={"first_name": "Outbox Payload"})
		form = {**contact.as_dict(convert_dates_to_str=True), "__unsaved": 1, "last_name": "Saved"}
		savedocs(json.dumps(form), "Save")
		flush()
		payloads = {d.event_type: json.loads(d.payload) for d in deliveries_for(contact)}
		self.assertEqual(set(payloads), {"contact.created", "contact.updated"})
		for event, data in payloads.items():
			self.assertEqual([k for k in data if k.startswith("__")], [], event)
			self.assertEqual([k for k in data["email_ids"][0] if k.startswith("__")], [], event)
			self.assertEqual(data["email_ids"][0]["email_id"], "outbox-payload@example.com", event)
		self.assertEqual(payloads["contact.updated"]["last_name"], "Saved")

	def test_webhooks_of_one_event_share_payloads(self):
		make_webhook(events=["after_insert"], title="doc a")
		make_webhook(events=["after_insert"], title="doc b")
		make_webhook(events=["after_insert"], payload_type="Fields", payload_fields="description", title="fields")
		todo = make_todo("shared")
		todo.description = "saved"
		todo.save()
		flush()
		by_title = {
			frappe.db.get_value("Integration Webhook", d.webhook, "title"): d for d in deliveries_for(todo)
		}
		self.assertEqual(by_title["doc a"].payload, by_title["doc b"].payload)
		self.assertEqual(json.loads(by_title["doc a"].payload)["description"], "shared")
		self.assertEqual(
			json.loads(by_title["fields"].payload), {"doctype": "ToDo", "name": todo.name, "description": "shared"}
		)

	def test_paused_records_disabled_does_not(self):
		make_webhook(events=["after_insert"], status="Paused", title="paused")
		make_webhook(events=["after_insert"], status="Disabled", title="disabled")
		todo = make_todo()
		flush()
		rows = deliveries_for(todo)
		self.assertEqual(len(rows), 1)
		self.assertEqual(frappe.db.get_value("Integration Webhook", rows[0].webhook, "title"), "paused")

	def test_message_ids_follow_event_order(self):
		make_webhook(events=["after_insert"])
		todos = [make_todo(str(i)) for i in range(5)]
		flush()
		names = [deliveries_for(t)[0].name for t in todos]
		self.assertEqual(names, sorted(names))
		self.assertTrue(all(n.startswith("msg_") and len(n) == 30 for n in names))


class TestOutboxPush(IntegrationsTestCase):
	def test_push_sends_one_batch_and_marks_acked(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			webhook = make_webhook(events=["after_insert"])
			todos = [make_todo(str(i)) for i in range(3)]
			flush()
			names = [deliveries_for(t)[0].name for t in todos]
			result = outbox.push_deliveries(names, client=SidecarClient.from_settings())

		posts = [r for r in sidecar.requests if r["path"] == "/v1/messages"]
		self.assertEqual(len(posts), 1)
		self.assertEqual(posts[0]["headers"].get("Authorization"), "Bearer test-sidecar-token")
		messages = posts[0]["body"]["messages"]
		self.assertEqual([m["id"] for m in messages], names)
		self.assertEqual({m["endpoint_id"] for m in messages}, {webhook.name})
		self.assertEqual(messages[0]["event_type"], "todo.created")
		self.assertEqual(messages[0]["payload"]["description"], "0")
		self.assertTrue(messages[0]["timestamp"].endswith("Z"))
		self.assertEqual(sorted(result["acked"]), sorted(names))
		self.assertEqual(frappe.db.count(DELIVERY, {"name": ("in", names), "acked": 1}), 3)

	def test_rejections(self):
		def respond(method, path, body):
			if path == "/v1/messages":
				first, second = (m["id"] for m in body["messages"])
				return 202, {
					"accepted": [],
					"duplicates": [],
					"rejected": [
						{"id": first, "code": "endpoint_not_found", "message": "unknown endpoint"},
						{"id": second, "code": "invalid_payload", "message": "too large"},
					],
				}
			return FakeSidecar.default_respond(method, path, body)

		with FakeSidecar() as sidecar:
			sidecar.respond = respond
			configure_sidecar(sidecar.url)
			webhook = make_webhook(events=["after_insert"])
			frappe.db.set_value("Integration Webhook", webhook.name, "sidecar_synced", 1)
			first, second = make_todo("a"), make_todo("b")
			flush()
			names = [deliveries_for(first)[0].name, deliveries_for(second)[0].name]
			outbox.push_deliveries(names, client=SidecarClient.from_settings())

		not_found = frappe.db.get_value(DELIVERY, names[0], ["status", "acked"], as_dict=True)
		self.assertEqual((not_found.status, not_found.acked), ("Queued", 0), "left for the minutely re-push")
		self.assertEqual(frappe.db.get_value("Integration Webhook", webhook.name, "sidecar_synced"), 0)
		rejected = frappe.db.get_value(DELIVERY, names[1], ["status", "last_error"], as_dict=True)
		self.assertEqual(rejected.status, "Failed")
		self.assertIn("invalid_payload", rejected.last_error)


class TestHooks(IntegrationsTestCase):
	def test_doc_events_registered(self):
		star = frappe.get_hooks("doc_events").get("*", {})
		for event in ("after_insert", "on_update", "on_submit", "on_cancel", "on_trash", "on_update_after_submit"):
			self.assertIn("integrations_app.outbound.doc_events.on_doc_event", star.get(event, []), event)

	def test_own_doctypes_never_fire(self):
		self.assertIn("Integration Webhook Delivery", outbox_events.OWN_DOCTYPES)
		with self.assertRaises(frappe.ValidationError):
			make_webhook(reference_doctype="Integration Inbound Event")


class TestPurge(IntegrationsTestCase):
	def test_purge_deletes_a_deleted_webhooks_log_in_committed_batches(self):
		from unittest.mock import patch

		webhook = make_webhook(events=["after_insert"])
		other = make_webhook(events=["after_insert"], title="kept")
		names = outbox.insert_deliveries(
			[{"webhook": webhook.name, "event_type": "todo.test", "payload": "{}"} for _ in range(5)]
			+ [{"webhook": other.name, "event_type": "todo.test", "payload": "{}"}]
		)
		for name in names:
			frappe.get_doc(DELIVERY, name).append("attempts", {"attempt_no": 1, "status_code": 500}).db_insert()
		frappe.delete_doc("Integration Webhook", webhook.name, ignore_permissions=True)
		commits = []
		with patch.object(frappe.db, "commit", lambda: commits.append(1)):
			self.assertEqual(retention.purge_log("Integration Webhook", webhook.name, chunk=2), 5)
		self.assertEqual(len(commits), 3, "one transaction per batch of 2")
		self.assertEqual(frappe.db.count(DELIVERY, {"webhook": webhook.name}), 0)
		self.assertEqual(frappe.db.count("Integration Webhook Delivery Attempt", {"parent": ("in", names[:5])}), 0)
		self.assertEqual(frappe.db.count(DELIVERY, {"webhook": other.name}), 1, "other webhooks keep theirs")

	def test_purge_skips_a_webhook_that_exists_again(self):
		webhook = make_webhook(events=["after_insert"])
		outbox.insert_deliveries([{"webhook": webhook.name, "event_type": "todo.test", "payload": "{}"}])
		self.assertEqual(retention.purge_log("Integration Webhook", webhook.name), 0)
		self.assertEqual(frappe.db.count(DELIVERY, {"webhook": webhook.name}), 1)


class TestInsertEscapesEachValueOnce(IntegrationsTestCase):
	PAYLOADS = (
		'{"quote": "it\'s"}',
		'{"backslash": "a\\\\b"}',
		'{"percent": "100% %s %(x)s"}',
		'{"sql": "ifnull(a, b); -- \'"}',
		'{"text": "é ✓ 😀"}',
		'{"nul": "a\\u0000b"}',
	)

	def test_payloads_are_stored_exactly_as_given(self):
		webhook = make_webhook()
		rows = [{"webhook": webhook.name, "event_type": "todo.test", "payload": p} for p in self.PAYLOADS * 2]
		names = outbox.insert_deliveries(rows)
		stored = dict(frappe.db.sql(f"select name, payload from `tab{DELIVERY}` where name in %s", (tuple(names),)))
		self.assertEqual([stored[name] for name in names], list(self.PAYLOADS * 2))

	def test_a_value_the_rows_repeat_is_escaped_once(self):
		from unittest.mock import patch

		from integrations_app.outbound.escape_once import Escaped

		webhooks = [make_webhook(title=f"w{i}").name for i in range(10)]
		payload = json.dumps({"description": "x" * 600})
		conn, rendered = frappe.db._conn, []
		real_literal = conn.literal

		def literal(value):
			if not isinstance(value, Escaped):
				rendered.append(value)
			return real_literal(value)

		with patch.object(conn, "literal", literal):
			names = outbox.insert_deliveries(
				[{"webhook": w, "event_type": e, "payload": payload} for e in ("todo.created", "todo.updated") for w in webhooks]
			)
		self.assertEqual(rendered.count(payload), 1)
		self.assertEqual(len(rendered), len({(type(v), v) for v in rendered}), "no value rendered twice")
		self.assertEqual(len(rendered), 20 + 10 + 2 + 5, "20 names, 10 webhooks, 2 event types, timestamp, user, status, None, payload")
		self.assertEqual(frappe.db.count(DELIVERY, {"name": ("in", names), "payload": payload}), 20)

	def test_a_connection_without_an_encoder_table_gets_the_values_as_they_are(self):
		from unittest.mock import patch

		from integrations_app.outbound import escape_once

		with patch.object(frappe.db, "_conn", object()):
			escape = escape_once.escaper()
		payload = '{"a": 1}'
		self.assertIs(escape(payload), payload)
		self.assertIsNone(escape(None))
