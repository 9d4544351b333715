"""Integration Payments on a real site (issue 10, Frappe side): payments made through a Stripe
connection, webhooks and the payer's return settling them exactly once — also when both race
in two database connections — the desk methods as an Integration Manager only, and the optional
Payment Gateway path.

A real HTTP server on 127.0.0.1 stands in for the sidecar (FakeSidecar), answering `/call` with
Stripe's objects and keeping them, as the sidecar's Stripe operations and Stripe would.
"""

import json
import threading
from types import SimpleNamespace

import frappe
from frappe.tests.utils import patch_hooks

from integrations_app.api import payments as api
from integrations_app.api.connections import list_connections
from integrations_app.api import providers as providers_api
from integrations_app.api import sidecar as sidecar_api
from integrations_app.inbound import events as inbound_events
from integrations_app.payments import gateway, inbound, ledger
from integrations_app.payments.rules import money, observe
from integrations_app.payments.rules.signature import razorpay_checkout_signature
from integrations_app.providers import payments
from integrations_app.sidecar.client import reset_shared_session
from integrations_app.tests.helpers import IM_USER, PLAIN_USER, FakeSidecar, IntegrationsTestCase, as_in_a_fresh_worker, as_sidecar, configure_sidecar

PAYMENT = "Integration Payment"
SETTLED: list[str] = []
_settled_lock = threading.Lock()
HOOKS = {"integrations_payment_settled": ["integrations_app.tests.test_payments.record_settlement"]}


def record_settlement(payment):
	with _settled_lock:
		SETTLED.append(payment.name)


class StripeSidecar(FakeSidecar):
	"""FakeSidecar answering Stripe operations with PaymentIntents it keeps, one per idempotency key."""

	def __init__(self):
		super().__init__()
		self.intents: dict[str, dict] = {}
		self.by_key: dict[str, str] = {}
		self.respond = self.stripe

	def calls(self, operation=None):
		return [r["body"] for r in self.requests if r["path"].endswith("/call") and (operation is None or r["body"]["operation"] == operation)]

	def stripe(self, method, path, body):
		if not path.endswith("/call"):
			return self.default_respond(method, path, body)
		op, p, key = body["operation"], body.get("params") or {}, body.get("idempotency_key")
		if op == "payment_intents.create":
			if key in self.by_key:
				return 200, {"provider": "stripe", "operation": op, "result": self.intents[self.by_key[key]]}
			pi_id = f"pi_test{len(self.intents) + 1:04d}"
			paid = bool(p.get("confirm")) and p.get("payment_method") == "pm_card_visa"
			self.intents[pi_id] = {
				"object": "payment_intent", "id": pi_id, "amount": money.to_minor(p["amount"], p["currency"], "stripe"),
				"currency": p["currency"].lower(), "status": "succeeded" if paid else "requires_payment_method",
				"metadata": p.get("metadata") or {}, "client_secret": f"{pi_id}_secret_x", "latest_charge": "ch_1" if paid else None,
			}  # fmt: skip
			self.by_key[key] = pi_id
			return 200, {"provider": "stripe", "operation": op, "result": self.intents[pi_id]}
		if op == "payment_intents.retrieve":
			return 200, {"provider": "stripe", "operation": op, "result": self.intents[p["id"]]}
		if op == "refunds.create":
			pi = self.intents[p["payment_intent"]]
			return 200, {"provider": "stripe", "operation": op, "result": {"object": "refund", "id": "re_1", "amount": pi["amount"], "status": "succeeded"}}
		return 404, {"error": {"code": "not_found", "message": f"Operation {op} of stripe not found."}}


def make_stripe_connection(name="Stripe Pay Test", sandbox=1):
	return frappe.get_doc(
		{
			"doctype": "Integration Connection", "connection_name": name, "auth_type": "Bearer Token", "api_provider": "Stripe",
			"base_url": "https://api.stripe.com", "secret": "sk_test_payments_secret", "sandbox": sandbox,
		}  # fmt: skip
	).insert(ignore_permissions=True)


def stripe_event(pi: dict, event_type="payment_intent.succeeded", event_id="evt_1") -> dict:
	return {"id": event_id, "object": "event", "type": event_type, "data": {"object": pi}}


def deliver(event: dict, slug="stripe-pay") -> str:
	"""The sidecar's forward of a verified event, then the processing job's work for it."""
	result = as_sidecar(sidecar_api.receive_inbound_events)(
		events=[{
			"sidecar_id": f"sc-{event['id']}", "slug": slug, "provider": "stripe", "provider_event_id": event["id"],
			"event_type": event["type"], "received_at": "2026-12-01T00:00:00.000Z", "payload": json.dumps(event), "headers": {},
		}]  # fmt: skip
	)
	if not result["accepted"]:
		return "Duplicate"
	name = frappe.db.get_value("Integration Inbound Event", {"endpoint": slug, "provider_event_id": event["id"]}, "name")
	doc = frappe.get_doc("Integration Inbound Event", name)
	return inbound_events.process_claimed([doc], commit=False)[name]


class PaymentsTestCase(IntegrationsTestCase):
	def setUp(self):
		SETTLED.clear()
		frappe.local.response = frappe._dict()  # the payer's pages set their status here
		reset_shared_session()
		self.addCleanup(frappe.set_user, "Administrator")
		self.sidecar = StripeSidecar().__enter__()
		self.addCleanup(self.sidecar.__exit__, None, None, None)
		configure_sidecar(self.sidecar.url)
		self.connection = make_stripe_connection()
		hooks = patch_hooks(HOOKS)
		hooks.__enter__()
		self.addCleanup(hooks.__exit__, None, None, None)
		frappe.get_doc({"doctype": "Integration Inbound Endpoint", "slug": "stripe-pay", "provider": "stripe", "secret": "whsec_test"}).insert(ignore_permissions=True)

	def todo(self):
		return frappe.get_doc({"doctype": "ToDo", "description": "pay me"}).insert(ignore_permissions=True)


class TestCreatePayment(PaymentsTestCase):
	def test_records_the_payment_with_the_currencys_decimals_and_a_key(self):
		todo = self.todo()
		for amount, currency, shown, minor in (("500", "JPY", "500", 500), ("5", "USD", "5.00", 500), ("5", "KWD", "5.000", 5000)):
			payment = payments.create_payment(self.connection.name, amount, currency, reference_doctype="ToDo", reference_name=todo.name)
			sent = self.sidecar.calls("payment_intents.create")[-1]
			self.assertEqual(sent["params"]["amount"], shown)
			self.assertEqual(sent["params"]["metadata"], {"integration_payment": payment["name"], "reference_doctype": "ToDo", "reference_name": todo.name})
			self.assertEqual(sent["idempotency_key"], f"integration-payment:{payment['name']}")
			row = frappe.get_doc(PAYMENT, payment["name"])
			self.assertEqual((row.provider, row.status, row.currency, row.reference_name), ("stripe", "Pending", currency, todo.name))
			self.assertEqual(money.to_minor(str(row.amount), currency, "stripe"), minor)
			self.assertTrue(payment["client_secret"].startswith(row.provider_payment_id))
		self.assertEqual(SETTLED, [])

	def test_the_same_key_twice_is_one_payment(self):
		a = payments.create_payment(self.connection.name, "9.99", "EUR", idempotency_key="order-77")
		b = payments.create_payment(self.connection.name, "9.99", "EUR", idempotency_key="order-77")
		self.assertEqual(a["name"], b["name"])
		self.assertEqual(frappe.db.count(PAYMENT, {"provider_payment_id": a["provider_payment_id"]}), 1)

	def test_refuses_amounts_the_currency_cannot_hold_before_calling(self):
		with self.assertRaises(ValueError):
			payments.create_payment(self.connection.name, "5.001", "USD")
		with self.assertRaises(ValueError):
			payments.create_payment(self.connection.name, "12.5", "JPY")
		self.assertEqual(self.sidecar.calls(), [])

	def test_a_proxy_only_connection_is_no_payment_provider(self):
		frappe.db.set_value("Integration Connection", self.connection.name, "api_provider", "")
		with self.assertRaises(frappe.ValidationError):
			payments.create_payment(self.connection.name, "1.00", "USD")


class TestSettlement(PaymentsTestCase):
	def pending(self, reference=None):
		kw = {"reference_doctype": "ToDo", "reference_name": reference.name} if reference else {}
		payment = payments.create_payment(self.connection.name, "25.00", "USD", **kw)
		return payment["name"], self.sidecar.intents[payment["provider_payment_id"]]

	def test_a_webhook_settles_once_and_tells_the_sites_hook(self):
		name, pi = self.pending(self.todo())
		pi["status"] = "succeeded"
		self.assertEqual(deliver(stripe_event(pi, event_id="evt_a")), "Processed")
		self.assertEqual(deliver(stripe_event(pi, event_id="evt_a")), "Duplicate")
		self.assertEqual(deliver(stripe_event(pi, event_id="evt_b")), "Processed")  # a second event saying the same
		row = frappe.get_doc(PAYMENT, name)
		self.assertEqual(row.status, "Succeeded")
		self.assertIsNotNone(row.settled_at)
		self.assertEqual(SETTLED, [name])
		sources = [(e["source"], e.get("applied"), e.get("ignored")) for e in json.loads(row.events)]
		self.assertEqual(sources[-2:], [("webhook", "Pending → Succeeded", None), ("webhook", None, "already Succeeded")])

	def test_a_webhook_settles_in_a_worker_that_never_imported_frappe_realtime(self):
		name, pi = self.pending()
		pi["status"] = "succeeded"
		as_in_a_fresh_worker(self)
		self.assertEqual(deliver(stripe_event(pi, event_id="evt_w")), "Processed")
		self.assertEqual(frappe.db.get_value(PAYMENT, name, "status"), "Succeeded")

	def test_an_old_event_arriving_late_does_not_unsettle(self):
		name, pi = self.pending()
		pi["status"] = "succeeded"
		deliver(stripe_event(pi, event_id="evt_ok"))
		deliver(stripe_event({**pi, "status": "processing"}, "payment_intent.processing", "evt_old"))
		self.assertEqual(frappe.db.get_value(PAYMENT, name, "status"), "Succeeded")
		self.assertEqual(SETTLED, [name])

	def test_another_amount_never_settles(self):
		name, pi = self.pending()
		deliver(stripe_event({**pi, "status": "succeeded", "amount": 100}, event_id="evt_cheap"))
		row = frappe.get_doc(PAYMENT, name)
		self.assertEqual((row.status, SETTLED), ("Pending", []))
		self.assertIn("amount 100 USD", row.last_error)

	def test_the_redirect_rereads_the_provider_and_never_settles_on_its_own(self):
		name, pi = self.pending()
		frappe.set_user("Guest")
		api.payment_return(payment=name)  # the payer came back, but Stripe says nothing was paid
		self.assertEqual(frappe.db.get_value(PAYMENT, name, "status"), "Pending")
		self.assertEqual(self.sidecar.calls("payment_intents.retrieve")[-1]["params"], {"id": pi["id"]})
		self.assertEqual(SETTLED, [])
		pi["status"] = "succeeded"
		api.payment_return(payment=name)
		self.assertEqual(frappe.db.get_value(PAYMENT, name, "status"), "Succeeded")
		self.assertIn(frappe.local.response.get("http_status_code"), (None, 200))
		frappe.set_user("Administrator")
		deliver(stripe_event(pi, event_id="evt_after_redirect"))  # the webhook comes second: nothing new
		self.assertEqual(SETTLED, [name])

	def test_an_unknown_payment_link_is_a_404_page(self):
		frappe.set_user("Guest")
		api.payment_return(payment="nope")
		self.assertEqual(frappe.local.response.get("http_status_code"), 404)

	def test_a_full_refund_marks_it_refunded(self):
		name, pi = self.pending()
		pi["status"] = "succeeded"
		payments.retrieve(name)
		payments.refund(name)
		self.assertEqual(self.sidecar.calls("refunds.create")[-1]["params"], {"payment_intent": pi["id"]})
		self.assertEqual(frappe.db.get_value(PAYMENT, name, "status"), "Refunded")


class TestRace(IntegrationsTestCase):
	"""The redirect (a web worker) and the webhook (a background job) apply the same success in
	two database connections at once. The row is committed first so both see it, and removed after."""

	def test_redirect_and_webhook_racing_settle_once(self):
		site, sites_path = frappe.local.site, frappe.local.sites_path
		SETTLED.clear()
		names = []
		try:
			for round_ in range(5):
				row = ledger.create(connection=None, provider="stripe", provider_payment_id=f"pi_race_{frappe.generate_hash(length=8)}", amount="12.00", currency="USD", status="Pending")
				names.append(row.name)
				frappe.db.commit()
				pi = {"object": "payment_intent", "id": row.provider_payment_id, "status": "succeeded", "amount": 1200, "currency": "usd", "metadata": {}}
				barrier = threading.Barrier(2)
				errors = []

				def run(source, pi=pi, barrier=barrier, errors=errors):
					frappe.init(site=site, sites_path=sites_path)
					frappe.connect()
					frappe.set_user("Administrator")
					try:
						barrier.wait()
						if source == "webhook":
							inbound.on_payment_event(SimpleNamespace(provider="stripe"), stripe_event(pi))
						else:
							ledger.apply(observe.from_object("stripe", pi), "redirect")
						frappe.db.commit()
					except Exception as e:
						errors.append(e)
					finally:
						frappe.destroy()

				with patch_hooks(HOOKS):
					threads = [threading.Thread(target=run, args=(s,)) for s in ("redirect", "webhook")]
					for t in threads:
						t.start()
					for t in threads:
						t.join()
				self.assertEqual(errors, [])
				frappe.db.rollback()  # a fresh snapshot: see what the two committed
				self.assertEqual(frappe.db.get_value(PAYMENT, row.name, "status"), "Succeeded")
				self.assertEqual(SETTLED.count(row.name), 1, f"round {round_}")
				events = json.loads(frappe.db.get_value(PAYMENT, row.name, "events"))
				self.assertEqual(sorted(e["source"] for e in events[1:]), ["redirect", "webhook"])
				self.assertEqual(sum(1 for e in events if e.get("applied")), 1)
		finally:
			frappe.db.rollback()
			if names:
				frappe.db.delete(PAYMENT, {"name": ("in", names)})
				frappe.db.commit()


class TestDeskMethods(PaymentsTestCase):
	def test_an_integration_manager_tries_a_payment_and_reads_the_log(self):
		frappe.set_user(IM_USER)
		result = providers_api.test_operation(self.connection.name, {"amount": "2.50", "currency": "eur"})
		self.assertEqual((result["ok"], result["area"], result["status"]), (True, "payments", "Succeeded"))
		sent = self.sidecar.calls("payment_intents.create")[-1]["params"]
		self.assertEqual((sent["amount"], sent["payment_method"], sent["confirm"]), ("2.50", "pm_card_visa", True))
		rows = api.list_payments()
		self.assertEqual(rows[0]["name"], result["payment"])
		self.assertEqual((rows[0]["amount"], rows[0]["currency"], rows[0]["status"]), ("2.50", "EUR", "Succeeded"))
		self.assertNotIn(result["payment"], [r["name"] for r in api.list_payments(status="Pending")])
		self.assertEqual(api.refresh_payment(result["payment"])["status"], "Succeeded")

	def test_a_live_connection_makes_a_pending_payment_not_a_test_charge(self):
		frappe.db.set_value("Integration Connection", self.connection.name, "sandbox", 0)
		result = providers_api.test_operation(self.connection.name)
		self.assertEqual((result["ok"], result["status"]), (True, "Pending"))
		self.assertNotIn("payment_method", self.sidecar.calls("payment_intents.create")[-1]["params"])

	def test_other_users_may_not(self):
		frappe.set_user(PLAIN_USER)
		for call in (
			lambda: api.list_payments(),
			lambda: providers_api.test_operation(self.connection.name),
			lambda: api.register_gateway(self.connection.name),
		):
			with self.assertRaises(frappe.PermissionError):
				call()
		self.assertEqual(self.sidecar.calls(), [])

	def test_a_connection_without_an_api_has_nothing_to_try(self):
		frappe.db.set_value("Integration Connection", self.connection.name, "api_provider", "")
		with self.assertRaises(frappe.ValidationError):
			providers_api.test_operation(self.connection.name)

	def test_connections_list_says_each_ones_area(self):
		frappe.set_user(IM_USER)
		row = next(r for r in list_connections() if r["name"] == self.connection.name)
		self.assertEqual((row["api_provider"], row["area"]), ("Stripe", "payments"))


class TestRazorpayAndGateway(PaymentsTestCase):
	def test_razorpay_checkout_signature_with_the_connections_key_secret(self):
		conn = frappe.get_doc(
			{"doctype": "Integration Connection", "connection_name": "Razorpay Pay Test", "auth_type": "Basic Auth", "api_provider": "Razorpay",
			 "base_url": "https://api.razorpay.com", "username": "rzp_test_key", "secret": "key-secret-1"}  # fmt: skip
		).insert(ignore_permissions=True)
		good = razorpay_checkout_signature("order_A", "pay_B", "key-secret-1")
		self.assertTrue(payments.verify_razorpay_signature(conn.name, "order_A", "pay_B", good))
		self.assertFalse(payments.verify_razorpay_signature(conn.name, "order_A", "pay_C", good))
		row = ledger.create(connection=conn.name, provider="razorpay", provider_payment_id="order_A", amount="10.00", currency="INR", status="Pending")
		frappe.set_user("Guest")
		api.payment_return(payment=row.name, razorpay_order_id="order_A", razorpay_payment_id="pay_B", razorpay_signature="0" * 64)
		self.assertEqual(frappe.local.response.get("http_status_code"), 400)
		self.assertEqual(frappe.db.get_value(PAYMENT, row.name, "status"), "Pending")
		self.assertEqual(self.sidecar.calls(), [])  # a forged return never reaches the provider

	def test_payment_gateway_path_where_the_payments_app_is_installed(self):
		if not gateway.available():
			# No payments app / ERPNext: the app works without it and says so when asked.
			with self.assertRaises(frappe.ValidationError):
				gateway.register(self.connection.name)
			return
		name = gateway.register(self.connection.name)
		controller = frappe.get_doc(frappe.db.get_value("Payment Gateway", name, "gateway_settings"), frappe.db.get_value("Payment Gateway", name, "gateway_controller"))
		self.assertEqual(controller.name, self.connection.name)
		controller.validate_transaction_currency("JPY")
		with self.assertRaises(frappe.ValidationError):
			controller.validate_transaction_currency("XX")
