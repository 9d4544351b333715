"""Issue 13: the Integration Manager role must not be a back door.

Every test acts as a user holding only Integration Manager (or, where said, a user with no
manager role, or the sidecar's API user), created here with its roles checked first: Frappe
gives System Manager to a site's first System User, so nothing is taken for granted.
"""

import json
from unittest.mock import patch

import frappe
from frappe.permissions import add_permission, update_permission_property
from frappe.utils.password import get_decrypted_password

from integrations_app.api import dashboard, inbound, sidecar, webhooks
from integrations_app.outbound import outbox
from integrations_app.tests.helpers import (
	DELIVERY,
	FakeSidecar,
	IM_USER as IM,
	PLAIN_USER as PLAIN,
	SM_USER as SM,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
	deliveries_for,
	flush,
	make_todo,
	make_webhook,
	user_roles,
)

WEBHOOK = "Integration Webhook"
# A DocType the Integration Manager may read in full once a test grants it (no permission query,
# no per-document rules), so webhooks on it are allowed for them.
READABLE = "Blog Category"


def grant_read(doctype: str, role: str = "Integration Manager", permlevel: int = 0) -> None:
	add_permission(doctype, role, permlevel, "read")
	# add_permission leaves a rule that already exists as it is, read or not
	update_permission_property(doctype, role, permlevel, "read", 1)
	frappe.clear_cache(doctype=doctype)


class SecurityTestCase(IntegrationsTestCase):
	def setUp(self):
		self.addCleanup(frappe.set_user, "Administrator")
		self.assertEqual(user_roles(IM), {"Integration Manager"})
		self.assertNotIn("System Manager", frappe.get_roles(IM))
		self.assertTrue(user_roles(PLAIN).isdisjoint({"System Manager", "Integration Manager"}))
		grant_read(READABLE)
		self.addCleanup(frappe.clear_cache, doctype=READABLE)  # after the rollback: drop the cached meta

	def as_user(self, user: str):
		frappe.set_user(user)


class TestPayloadTemplates(SecurityTestCase):
	"""#1: a template sees the document's values and nothing else."""

	ESCAPES = {
		"frappe.db.sql on Has Role": '{"x": {{ frappe.db.sql("select name, role from `tabHas Role`") | tojson }}}',
		"frappe.db.set_value": '{"x": {{ frappe.db.set_value("Has Role", ROW, "role", "System Manager") | tojson }}}',
		"__Auth": '{"x": {{ frappe.db.sql("select `password` from `__Auth`") | tojson }}}',
		"get_decrypted_password": '{"x": {{ frappe.utils.password.get_decrypted_password("Integration Settings", "Integration Settings", "sidecar_token") | tojson }}}',
		"get_doc().get_password": '{"x": {{ frappe.get_doc("Integration Webhook", OTHER).get_password("secret") | tojson }}}',
		"make_get_request": '{"x": {{ frappe.make_get_request(URL) | tojson }}}',
		"__class__ walk": '{"x": {{ doc.__class__.__mro__ | string | tojson }}}',
		"__globals__ walk": '{"x": {{ doc.get.__globals__ | string | tojson }}}',
	}

	def template(self, label, row="", other="", url=""):
		return (
			self.ESCAPES[label]
			.replace("ROW", json.dumps(row))
			.replace("OTHER", json.dumps(other))
			.replace("URL", json.dumps(url))
		)

	def test_escapes_are_refused_when_saved(self):
		self.as_user(IM)
		for label in self.ESCAPES:
			with self.subTest(label), self.assertRaises(frappe.ValidationError):
				make_webhook(reference_doctype=READABLE, payload_type="Template", payload_template=self.template(label))

	def test_escapes_fail_when_rendered(self):
		"""A template stored before the fix (or written to the database directly) runs in the
		request of whoever saves the document: nothing of it may reach Frappe."""
		configure_sidecar("http://127.0.0.1:9", token="sidecar-token-never-in-a-payload")
		other = make_webhook(title="another receiver")
		other_secret = other.get_password("secret")
		[im_row] = frappe.get_all("Has Role", filters={"parent": IM, "role": "Integration Manager"}, pluck="name")
		with FakeSidecar() as target:
			for label in self.ESCAPES:
				with self.subTest(label):
					webhook = make_webhook(reference_doctype=READABLE, events=["after_insert"])
					source = self.template(label, row=im_row, other=other.name, url=target.url + "/leak")
					frappe.db.set_value(WEBHOOK, webhook.name, {"payload_type": "Template", "payload_template": source})
					category = frappe.get_doc({"doctype": READABLE, "title": f"c {label}"}).insert(ignore_permissions=True)
					flush()
					[row] = deliveries_for(category, webhook=webhook.name)
					self.assertEqual(row.status, "Failed", row.payload)
					self.assertEqual(row.payload, "{}")
					self.assertNotIn("sidecar-token-never-in-a-payload", row.last_error or "")
					self.assertNotIn(other_secret, row.last_error or "")
					frappe.db.set_value(WEBHOOK, webhook.name, "status", "Disabled")
		self.assertEqual(target.requests, [], "the template made a request from inside Frappe")
		self.assertEqual(user_roles(IM), {"Integration Manager"})

	def test_document_values_still_render(self):
		self.as_user(IM)
		webhook = make_webhook(
			reference_doctype=READABLE,
			payload_type="Template",
			payload_template='{"title": {{ doc.title | tojson }}, "kind": {{ doc.doctype | tojson }}}',
		)
		frappe.set_user("Administrator")
		category = frappe.get_doc({"doctype": READABLE, "title": "Rendered"}).insert(ignore_permissions=True)
		flush()
		[row] = deliveries_for(category, webhook=webhook.name)
		self.assertEqual((row.status, json.loads(row.payload)), ("Queued", {"title": "Rendered", "kind": READABLE}))


class TestReferenceDocTypeAccess(SecurityTestCase):
	"""#2: a webhook sends only what whoever saves it may read."""

	def test_a_doctype_the_author_cannot_read_is_refused(self):
		self.as_user(IM)
		with self.assertRaises(frappe.PermissionError):
			make_webhook(reference_doctype="Role", events=["after_insert"])

	def test_shares_do_not_count(self):
		# every user's own User record is shared with them: frappe.has_permission("User") is true
		self.as_user(IM)
		self.assertTrue(frappe.has_permission("User", "read"))
		with self.assertRaises(frappe.PermissionError):
			make_webhook(
				reference_doctype="User",
				events=["on_update"],
				payload_type="Fields",
				payload_fields="email\nreset_password_key\nlast_ip\nlast_login",
				confirm_sensitive_doctype=1,
			)

	def test_a_doctype_read_only_in_part_is_refused(self):
		# ToDo: an Integration Manager reads only their own ToDos (permission query)
		self.as_user(IM)
		with self.assertRaises(frappe.PermissionError):
			make_webhook(reference_doctype="ToDo", events=["after_insert"])

	def test_readable_doctype_is_allowed(self):
		self.as_user(IM)
		self.assertEqual(make_webhook(reference_doctype=READABLE).reference_doctype, READABLE)

	def test_fields_above_the_authors_permission_level_are_refused(self):
		from frappe.custom.doctype.property_setter.property_setter import make_property_setter

		make_property_setter(READABLE, "route", "permlevel", 1, "Int")
		frappe.clear_cache(doctype=READABLE)
		self.as_user(IM)
		for fields in ({"payload_type": "Fields", "payload_fields": "title\nroute"}, {"payload_type": "Document"}):
			with self.subTest(fields), self.assertRaises(frappe.PermissionError):
				make_webhook(reference_doctype=READABLE, **fields)
		self.assertTrue(make_webhook(reference_doctype=READABLE, payload_type="Fields", payload_fields="title"))

	def test_rechecked_when_the_webhook_changes_hands(self):
		webhook = make_webhook(reference_doctype="Role", events=["after_insert"])  # by Administrator
		self.as_user(IM)
		webhook = frappe.get_doc(WEBHOOK, webhook.name)
		webhook.title = "taken over"
		with self.assertRaises(frappe.PermissionError):
			webhook.save()
		with self.assertRaises(frappe.PermissionError):
			webhooks.set_paused(webhook=webhook.name, paused=True)

	def test_sensitive_doctypes_need_a_system_manager_who_confirms(self):
		grant_read("Email Account")
		self.addCleanup(frappe.clear_cache, doctype="Email Account")
		self.as_user(IM)
		with self.assertRaises(frappe.PermissionError):
			make_webhook(reference_doctype="Email Account", confirm_sensitive_doctype=1)

		self.assertEqual(user_roles(SM), {"System Manager"})
		self.as_user(SM)
		for doctype in ("User", "Email Account", "OAuth Bearer Token"):
			with self.subTest(doctype), self.assertRaises(frappe.ValidationError):
				make_webhook(reference_doctype=doctype, events=["on_update"])
		webhook = make_webhook(reference_doctype="User", events=["on_update"], confirm_sensitive_doctype=1)
		self.assertEqual(webhook.sensitive_confirmed_by, SM)
		self.assertTrue(webhook.sensitive_confirmed_at)


class TestConditions(SecurityTestCase):
	"""#3: a condition filters on the document's values; it cannot change or reach anything."""

	def test_conditions_cannot_change_the_document(self):
		todo = make_todo("written by Administrator")
		flush()
		for condition in (
			"doc.db_set('description', 'rewritten by a condition') or True",
			"doc.run_method('__getattribute__', '__class__') or True",
			"doc.save() or True",
			"doc.get_password('password') or True",
		):
			with self.subTest(condition):
				webhook = make_webhook(events=["on_update"], condition=condition)
				todo.reload()
				todo.priority = "High" if todo.priority != "High" else "Low"
				todo.save(ignore_permissions=True)
				flush()
				self.assertEqual(frappe.db.get_value("ToDo", todo.name, "description"), "written by Administrator")
				self.assertEqual(deliveries_for(todo, webhook=webhook.name), [], "a failing condition sends nothing")
				self.assertTrue(frappe.db.get_value(WEBHOOK, webhook.name, "last_condition_error"))
				frappe.db.set_value(WEBHOOK, webhook.name, "status", "Disabled")

	def test_conditions_still_filter_on_values(self):
		webhook = make_webhook(events=["after_insert"], condition="doc.description.startswith('send') and doc.get('status') == 'Open'")
		sent, skipped = make_todo("send me"), make_todo("keep me")
		flush()
		self.assertEqual(len(deliveries_for(sent, webhook=webhook.name)), 1)
		self.assertEqual(deliveries_for(skipped, webhook=webhook.name), [])


class TestSidecarCallbacks(SecurityTestCase):
	"""#4: an Integration Manager cannot forge the sidecar's callbacks."""

	def test_integration_manager_gets_403(self):
		as_sidecar(lambda: None)()  # a Sidecar API User exists: it is not the manager
		webhook = make_webhook(reference_doctype=READABLE)
		[message] = outbox.insert_deliveries([{"webhook": webhook.name, "event_type": "x.test", "payload": "{}"}])
		self.as_user(IM)
		forged = {
			"message_id": message,
			"endpoint_id": webhook.name,
			"status": "succeeded",
			"attempt": {"n": 1, "at": "2024-05-01T10:00:00Z", "status_code": 200, "duration_ms": 1, "error": None, "response_body": None, "request_headers": {}},
			"next_attempt_at": None,
		}
		for call in (
			lambda: sidecar.report_deliveries(outcomes=[forged]),
			lambda: sidecar.endpoint_disabled(endpoint_id=webhook.name, reason="forged"),
			lambda: sidecar.receive_inbound_events(events=[]),
		):
			with self.assertRaises(frappe.PermissionError):
				call()
		self.assertEqual(frappe.db.get_value(DELIVERY, message, "status"), "Queued")


class TestShowNewSecretOnce(SecurityTestCase):
	"""#5: a new signing secret is shown once, to whoever saved it."""

	def test_rotate_returns_the_new_secret(self):
		self.as_user(IM)
		webhook = make_webhook(reference_doctype=READABLE)
		result = webhooks.rotate_secret(webhook=webhook.name)
		self.assertTrue(result["secret"].startswith("whsec_"))
		frappe.set_user("Administrator")
		self.assertEqual(result["secret"], get_decrypted_password(WEBHOOK, webhook.name, "secret"))

	def test_a_generated_secret_is_in_the_save_answer_only(self):
		self.as_user(IM)
		webhook = make_webhook(reference_doctype=READABLE)
		shown = webhook.get_onload().get("new_secret")
		self.assertTrue(shown and shown.startswith("whsec_"))
		frappe.set_user("Administrator")
		self.assertEqual(shown, get_decrypted_password(WEBHOOK, webhook.name, "secret"))
		again = frappe.get_doc(WEBHOOK, webhook.name)
		again.run_method("onload")
		self.assertNotIn("new_secret", again.get("__onload") or {})
		typed = make_webhook(reference_doctype=READABLE, signing="Frappe-compatible", secret="typed-by-me")
		self.assertNotIn("new_secret", typed.get("__onload") or {})


class TestIntegrationSettingsAccess(SecurityTestCase):
	"""#7: the sidecar URL and token are a System Manager matter."""

	def test_integration_manager_cannot_write(self):
		self.as_user(IM)
		settings = frappe.get_doc("Integration Settings")
		settings.sidecar_url = "http://127.0.0.1:8000/api/method/frappe.auth.get_logged_user?x="
		with self.assertRaises(frappe.PermissionError):
			settings.save()

	def test_query_strings_are_refused(self):
		for url in ("http://127.0.0.1:8000/api/method/x?x=", "http://127.0.0.1:8787/?", "http://127.0.0.1:8787#x"):
			settings = frappe.get_doc("Integration Settings")
			settings.sidecar_url = url
			with self.subTest(url), self.assertRaises(frappe.ValidationError):
				settings.save(ignore_permissions=True)


class TestAutoDisabledNotice(SecurityTestCase):
	"""#10: the notification subject is translated and escaped."""

	def test_subject_is_escaped(self):
		webhook = make_webhook(reference_doctype=READABLE)
		# as stored by any path (desk's sanitiser would already strip the handler from a typed title)
		frappe.db.set_value(WEBHOOK, webhook.name, "title", '<img src=x onerror="alert(1)">')
		sent = []
		with patch("integrations_app.alerts.enqueue_create_notification", lambda users, doc: sent.append(doc)):
			as_sidecar(sidecar.endpoint_disabled)(endpoint_id=webhook.name, reason="<b>410</b>")
		[notice] = sent
		self.assertNotIn("<img", notice["subject"])
		self.assertIn("&lt;img", notice["subject"])
		self.assertNotIn("<b>410</b>", notice["email_content"])


class TestDeskMethodsPermissions(SecurityTestCase):
	"""#11: every desk method refuses a user with no manager role, and lets an Integration Manager in."""

	def setUp(self):
		super().setUp()
		self.sidecar = FakeSidecar()
		self.sidecar.__enter__()
		self.addCleanup(self.sidecar.__exit__, None, None, None)
		self.sidecar.respond = lambda method, path, body: (202, {}) if method == "POST" else (200, {})
		configure_sidecar(self.sidecar.url)
		self.webhook = make_webhook(reference_doctype=READABLE)
		[self.delivery] = outbox.insert_deliveries(
			[{"webhook": self.webhook.name, "event_type": "blog_category.test", "payload": "{}", "status": "Failed"}]
		)
		frappe.db.set_value(DELIVERY, self.delivery, "acked", 1)
		self.endpoint = frappe.get_doc(
			{"doctype": "Integration Inbound Endpoint", "slug": "perm-test", "provider": "github", "secret": "s"}
		).insert(ignore_permissions=True)
		self.event = frappe.get_doc(
			{"doctype": "Integration Inbound Event", "endpoint": "perm-test", "provider": "github", "provider_event_id": "p1", "status": "Failed", "payload": "{}"}
		)
		self.event.db_insert()

	def calls(self):
		return {
			"delivery_detail": lambda: dashboard.delivery_detail(delivery=self.delivery),
			"delivery_overview": lambda: dashboard.delivery_overview(minutes=5),
			"endpoint_stats": inbound.endpoint_stats,
			"replay_event": lambda: inbound.replay_event(event=self.event.name),
			"replay_delivery": lambda: webhooks.replay_delivery(delivery=self.delivery),
			"send_test_event": lambda: webhooks.send_test_event(webhook=self.webhook.name),
			"rotate_secret": lambda: webhooks.rotate_secret(webhook=self.webhook.name),
			"set_paused": lambda: webhooks.set_paused(webhook=self.webhook.name, paused=True),
			"recover_failed": lambda: webhooks.recover_failed(webhook=self.webhook.name, hours=1),
		}

	def test_no_manager_role_gets_403(self):
		for user in (PLAIN, "Guest"):
			self.as_user(user)
			for method, call in self.calls().items():
				with self.subTest(user=user, method=method), self.assertRaises(frappe.PermissionError):
					call()

	def test_integration_manager_is_allowed(self):
		self.as_user(IM)
		for method, call in self.calls().items():
			with self.subTest(method):
				self.assertTrue(call() is not None, method)

	def test_app_screen_permission(self):
		from integrations_app.permissions import has_app_permission

		for user, expected in ((IM, True), ("Administrator", True), (PLAIN, False), ("Guest", False)):
			self.as_user(user)
			self.assertEqual(has_app_permission(), expected, user)
