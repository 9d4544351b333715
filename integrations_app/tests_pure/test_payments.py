"""Payments rules: state machine, money, provider objects, Razorpay's checkout signature, and
exactly-once settlement raced by real threads on a real (SQLite) database."""

import sqlite3
import tempfile
import threading
import unittest
from dataclasses import dataclass
from pathlib import Path

from integrations_app.connections.presets import catalogue
from integrations_app.payments.rules import money, observe, settle, signature
from integrations_app.payments.rules.state import CANCELLED, CREATED, FAILED, PENDING, REFUNDED, STATUSES, SUCCEEDED, decide


class TestStateMachine(unittest.TestCase):
	def test_succeeding_settles_once_from_every_status_that_may(self):
		for current in (CREATED, PENDING, FAILED):
			d = decide(current, SUCCEEDED)
			self.assertEqual((d.status, d.changed, d.settles), (SUCCEEDED, True, True), current)
		again = decide(SUCCEEDED, SUCCEEDED)
		self.assertEqual((again.changed, again.settles), (False, False))

	def test_never_steps_back(self):
		# An older event arriving late (processing after succeeded) changes nothing.
		for late in (CREATED, PENDING, FAILED, CANCELLED):
			self.assertFalse(decide(SUCCEEDED, late).changed, late)
		for status in STATUSES:
			self.assertFalse(decide(REFUNDED, status).changed)
			self.assertFalse(decide(CANCELLED, status).changed)

	def test_other_transitions(self):
		self.assertEqual(decide(SUCCEEDED, REFUNDED).status, REFUNDED)
		self.assertFalse(decide(SUCCEEDED, REFUNDED).settles)
		self.assertEqual(decide(PENDING, FAILED).status, FAILED)
		self.assertEqual(decide(FAILED, PENDING).status, PENDING)
		self.assertFalse(decide(PENDING, REFUNDED).changed)
		with self.assertRaises(ValueError):
			decide("Paid", SUCCEEDED)


class TestMoney(unittest.TestCase):
	def test_issue_examples_both_ways(self):
		self.assertEqual(money.to_minor("500", "JPY", "stripe"), 500)
		self.assertEqual(money.to_minor("5.00", "USD", "stripe"), 500)
		self.assertEqual(money.to_minor("5.000", "KWD", "stripe"), 5000)
		self.assertEqual(money.from_minor(500, "JPY", "stripe"), "500")
		self.assertEqual(money.from_minor(500, "USD", "stripe"), "5.00")
		self.assertEqual(money.from_minor(5000, "KWD", "razorpay"), "5.000")
		self.assertEqual(money.to_minor("0.29", "USD", "stripe"), 29)
		self.assertEqual(money.normalize("5", "usd", "stripe"), "5.00")
		self.assertEqual(money.to_minor("1500", "HUF", "paypal"), 1500)

	def test_refuses_what_does_not_fit(self):
		for bad in ("5.001", "0", "-1", "abc", 5.0, True, "NaN", "Infinity"):
			with self.assertRaises(ValueError, msg=repr(bad)):
				money.to_minor(bad, "USD", "stripe")
		with self.assertRaises(ValueError):
			money.to_minor("500.5", "JPY", "stripe")
		for currency in ("XX", "US1", "", None):
			with self.assertRaises(ValueError, msg=repr(currency)):
				money.to_minor("1", currency, "stripe")


class TestObserve(unittest.TestCase):
	def test_stripe(self):
		pi = {"object": "payment_intent", "id": "pi_1", "status": "succeeded", "amount": 500, "currency": "usd", "metadata": {"reference_doctype": "ToDo", "reference_name": "T-1"}}
		seen = observe.from_event("stripe", {"type": "payment_intent.succeeded", "data": {"object": pi}})
		self.assertEqual((seen.payment_id, seen.status, seen.amount_minor, seen.currency), ("pi_1", SUCCEEDED, 500, "USD"))
		self.assertEqual((seen.reference_doctype, seen.reference_name), ("ToDo", "T-1"))
		declined = observe.from_object("stripe", {**pi, "status": "requires_payment_method", "last_payment_error": {"decline_code": "generic_decline"}})
		self.assertEqual((declined.status, declined.detail["decline"]), (FAILED, "generic_decline"))
		refunded = observe.from_event("stripe", {"type": "charge.refunded", "data": {"object": {"payment_intent": "pi_1", "refunded": True, "amount": 500, "currency": "usd"}}})
		self.assertEqual(refunded.status, REFUNDED)
		self.assertIsNone(observe.from_event("stripe", {"type": "charge.refunded", "data": {"object": {"payment_intent": "pi_1", "refunded": False, "amount": 500}}}))
		self.assertIsNone(observe.from_event("stripe", {"type": "customer.created", "data": {"object": {}}}))
		session = {"object": "checkout.session", "id": "cs_test_1", "status": "complete", "payment_status": "paid", "amount_total": 1300, "currency": "jpy", "metadata": {"integration_payment": "PAY-9"}}
		paid = observe.from_event("stripe", {"type": "checkout.session.completed", "data": {"object": session}})
		self.assertEqual((paid.payment_id, paid.status, paid.amount_minor, paid.currency, paid.payment_name), ("cs_test_1", SUCCEEDED, 1300, "JPY", "PAY-9"))
		self.assertEqual(observe.from_object("stripe", {**session, "status": "open", "payment_status": "unpaid"}).status, PENDING)

	def test_paypal(self):
		capture = {"id": "CAP1", "status": "COMPLETED", "amount": {"currency_code": "JPY", "value": "500"}, "custom_id": "Sales Invoice/SINV-1", "supplementary_data": {"related_ids": {"order_id": "ORDER1"}}}
		seen = observe.from_event("paypal", {"event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": capture})
		self.assertEqual((seen.payment_id, seen.status, seen.amount_minor, seen.currency), ("ORDER1", SUCCEEDED, 500, "JPY"))
		self.assertEqual((seen.reference_doctype, seen.reference_name), ("Sales Invoice", "SINV-1"))
		order = {"id": "ORDER1", "status": "APPROVED", "purchase_units": [{"amount": {"currency_code": "USD", "value": "5.00"}}]}
		self.assertEqual(observe.from_object("paypal", order).status, PENDING)
		done = {**order, "status": "COMPLETED", "purchase_units": [{"amount": {"currency_code": "USD", "value": "5.00"}, "payments": {"captures": [{"status": "COMPLETED"}]}}]}
		self.assertEqual(observe.from_object("paypal", done).status, SUCCEEDED)

	def test_razorpay(self):
		payment = {"entity": "payment", "id": "pay_1", "order_id": "order_1", "status": "captured", "amount": 5000, "currency": "KWD", "notes": {"reference_doctype": "ToDo", "reference_name": "T-2"}}
		seen = observe.from_event("razorpay", {"event": "payment.captured", "payload": {"payment": {"entity": payment}}})
		self.assertEqual((seen.payment_id, seen.status, seen.amount_minor), ("order_1", SUCCEEDED, 5000))
		self.assertEqual(observe.from_object("razorpay", {**payment, "status": "authorized"}).status, PENDING)
		self.assertEqual(observe.from_object("razorpay", {"id": "order_1", "entity": "order", "status": "paid", "amount": 5000, "currency": "KWD"}).status, SUCCEEDED)


class TestRazorpaySignature(unittest.TestCase):
	# The vector sidecar/src/providers/razorpay/razorpay.int.test.ts proves with the razorpay package.
	ORDER, PAYMENT, SECRET = "order_IluGWxBm9U8zJ8", "pay_IluGYxQwSUmXBN", "standinKeySecret9876"
	SIGNATURE = "99078e5b0d9f5a38328949b067d074db61c37c16766e71c491107a3e31750fa0"

	def test_vector(self):
		self.assertEqual(signature.razorpay_checkout_signature(self.ORDER, self.PAYMENT, self.SECRET), self.SIGNATURE)
		self.assertTrue(signature.verify_razorpay_checkout(self.ORDER, self.PAYMENT, self.SIGNATURE, self.SECRET))
		self.assertTrue(signature.verify_razorpay_checkout(self.ORDER, self.PAYMENT, self.SIGNATURE.upper(), self.SECRET))

	def test_refuses_tampering(self):
		self.assertFalse(signature.verify_razorpay_checkout(self.ORDER, "pay_Other", self.SIGNATURE, self.SECRET))
		self.assertFalse(signature.verify_razorpay_checkout(self.ORDER, self.PAYMENT, self.SIGNATURE, "webhook-secret"))
		self.assertFalse(signature.verify_razorpay_checkout(self.ORDER, self.PAYMENT, "", self.SECRET))


class TestHooks(unittest.TestCase):
	def test_every_event_the_rules_read_has_its_handler_in_hooks(self):
		from integrations_app import hooks

		registered = {provider: set(by_type) for provider, by_type in hooks.integration_inbound_handlers.items()}
		self.assertEqual(registered["stripe"], set(observe.STRIPE_EVENTS))
		self.assertEqual(registered["paypal"], set(observe.PAYPAL_CAPTURE_EVENTS))
		self.assertEqual(registered["razorpay"], set(observe.RAZORPAY_EVENTS))
		paths = {path for provider in ("stripe", "paypal", "razorpay") for path in hooks.integration_inbound_handlers[provider].values()}
		self.assertEqual(paths, {"integrations_app.payments.inbound.on_payment_event"})


class TestPresets(unittest.TestCase):
	def test_payment_presets_name_their_api(self):
		entries = {e["title"]: e["defaults"] for e in catalogue([{"name": "PayPal", "preset": "PayPal", "api_base_url": "https://api-m.paypal.com"}, {"name": "Other IdP"}])}
		self.assertEqual(entries["PayPal"]["api_provider"], "PayPal")
		self.assertNotIn("api_provider", entries["Other IdP"])
		self.assertEqual(entries["Stripe"]["api_provider"], "Stripe")
		self.assertEqual(entries["Razorpay"], {"auth_type": "Basic Auth", "base_url": "https://api.razorpay.com", "test_path": "/v1/payments", "api_provider": "Razorpay"})


@dataclass
class Row:
	name: str
	status: str
	amount: str
	currency: str
	provider: str


class SqliteStore:
	"""`settle.PaymentStore` on SQLite: `BEGIN IMMEDIATE` takes the write lock before the read,
	as `SELECT … FOR UPDATE` takes the row lock in MariaDB."""

	def __init__(self, path: str):
		self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)

	def locked(self, seen):
		self.db.execute("BEGIN IMMEDIATE")
		r = self.db.execute(
			"select name, status, amount, currency, provider from payment where provider = ? and (payment_id = ? or name = ?)",
			(seen.provider, seen.payment_id, seen.payment_name),
		).fetchone()
		return Row(*r) if r else None

	def transition(self, name, from_status, to_status, settled, event, capture_id):
		cur = self.db.execute(
			"update payment set status = ?, settled = settled + ? where name = ? and status = ?", (to_status, 1 if settled else 0, name, from_status)
		)
		self.db.execute("insert into event (payment, what) values (?, ?)", (name, repr(event)))
		return cur.rowcount == 1

	def note(self, name, event):
		self.db.execute("insert into event (payment, what) values (?, ?)", (name, repr(event)))

	def commit(self):
		self.db.execute("COMMIT")


class TestSettledExactlyOnce(unittest.TestCase):
	def setUp(self):
		self.dir = tempfile.TemporaryDirectory()
		self.path = str(Path(self.dir.name) / "pay.db")
		db = sqlite3.connect(self.path)
		db.executescript(
			"""create table payment (name text primary key, provider text, payment_id text unique, status text, amount text, currency text, settled int default 0);
			create table event (payment text, what text);
			insert into payment values ('PAY-1', 'stripe', 'pi_race', 'Pending', '5.00', 'USD', 0);"""
		)
		db.commit()
		db.close()
		self.succeeded = observe.Observation("stripe", "pi_race", SUCCEEDED, 500, "USD")

	def tearDown(self):
		self.dir.cleanup()

	def race(self, sources: list[str]) -> list[settle.Outcome]:
		"""Each source applies the same success in its own thread and connection, released together."""
		barrier = threading.Barrier(len(sources))
		outcomes: list[settle.Outcome] = []
		settlements: list[str] = []
		lock = threading.Lock()

		def run(source):
			store = SqliteStore(self.path)
			barrier.wait()
			outcome = settle.apply(store, self.succeeded, source, "2026-12-01T00:00:00Z")
			if outcome.settled:
				settlements.append(source)  # the site's hook, inside the transaction
			store.commit()
			with lock:
				outcomes.append(outcome)

		threads = [threading.Thread(target=run, args=(s,)) for s in sources]
		for t in threads:
			t.start()
		for t in threads:
			t.join()
		self.settlements = settlements
		return outcomes

	def test_redirect_and_webhook_racing_settle_once(self):
		for attempt in range(20):
			with self.subTest(attempt=attempt):
				self.setUp()
				outcomes = self.race(["redirect", "webhook", "webhook-retry", "redirect-reload"])
				self.assertEqual(sum(o.settled for o in outcomes), 1)
				self.assertEqual(len(self.settlements), 1)
				db = sqlite3.connect(self.path)
				self.assertEqual(db.execute("select status, settled from payment").fetchone(), ("Succeeded", 1))
				self.assertEqual(db.execute("select count(*) from event").fetchone(), (4,))
				db.close()
				self.tearDown()

	def test_either_order_settles_once(self):
		for first, second in (("redirect", "webhook"), ("webhook", "redirect")):
			self.setUp()
			a = settle.apply(store := SqliteStore(self.path), self.succeeded, first, "t1")
			store.commit()
			b = settle.apply(store, self.succeeded, second, "t2")
			store.commit()
			self.assertEqual((a.settled, b.settled), (True, False), first)
			self.assertEqual(b.decision.reason, "already Succeeded")
			self.tearDown()

	def test_wrong_amount_never_settles(self):
		store = SqliteStore(self.path)
		outcome = settle.apply(store, observe.Observation("stripe", "pi_race", SUCCEEDED, 50, "USD"), "webhook", "t")
		store.commit()
		self.assertFalse(outcome.settled)
		self.assertEqual(sqlite3.connect(self.path).execute("select status from payment").fetchone(), ("Pending",))

	def test_a_checkout_sessions_payment_intent_finds_its_row_by_metadata(self):
		store = SqliteStore(self.path)
		seen = observe.from_event(
			"stripe",
			{"type": "payment_intent.succeeded", "data": {"object": {"object": "payment_intent", "id": "pi_later", "status": "succeeded", "amount": 500, "currency": "usd", "metadata": {"integration_payment": "PAY-1"}}}},
		)
		outcome = settle.apply(store, seen, "webhook", "t")
		store.commit()
		self.assertEqual((outcome.payment, outcome.settled), ("PAY-1", True))

	def test_unknown_payment_is_nothing_to_do(self):
		store = SqliteStore(self.path)
		outcome = settle.apply(store, observe.Observation("stripe", "pi_other", SUCCEEDED, 500, "USD"), "webhook", "t")
		store.commit()
		self.assertEqual(outcome, settle.Outcome(None, None, False))


if __name__ == "__main__":
	unittest.main()
