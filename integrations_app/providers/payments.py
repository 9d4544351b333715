"""Payments through an Integration Connection whose API is Stripe, PayPal or Razorpay.

Each function calls the connection's provider through the sidecar (`providers.call`) and keeps
an **Integration Payment** row in step with what the provider answered. Amounts are decimal
strings with a currency (`"5.00"`, `"USD"`); the sidecar turns them into each provider's units.

    payment = payments.create_payment("Stripe Live", "25.00", "EUR",
        reference_doctype="Sales Invoice", reference_name="SINV-0001", checkout=True)
    # send the payer to payment["checkout_url"]; the row settles when Stripe says so

A payment becomes Succeeded only from the provider's own word — its webhook, or a re-read of
the payment when the payer comes back (never the browser's redirect alone) — and is settled
exactly once: see `integrations_app.payments.ledger` for the hook a site implements.

Server code only: no permission checks here (desk reaches these through `api/`).
"""

import frappe
from frappe import _
from frappe.utils import get_url

from integrations_app.connections.config import CONNECTION
from integrations_app.payments import ledger
from integrations_app.payments.rules import money, observe
from integrations_app.payments.rules.signature import verify_razorpay_checkout
from integrations_app.payments.rules.state import CREATED, REFUNDED
from integrations_app.providers.call import call
from integrations_app.providers.catalogue import sidecar_provider

PAYMENT = ledger.PAYMENT
PAYMENT_PROVIDERS = ("stripe", "paypal", "razorpay")
RETURN_METHOD = "integrations_app.api.payments.payment_return"


def provider_of(connection: str) -> str:
	"""The connection's payment provider (`stripe`, `paypal`, `razorpay`), or a clear error."""
	label = frappe.db.get_value(CONNECTION, connection, "api_provider")
	provider = sidecar_provider(label)
	if provider not in PAYMENT_PROVIDERS:
		frappe.throw(_("Connection {0} is not a payment provider's (its API is {1})").format(connection, label or _("not set")))
	return provider


def return_url(payment: str) -> str:
	"""Where the provider sends the payer back: re-reads the payment, then says how it went."""
	return get_url(f"/api/method/{RETURN_METHOD}?payment={payment}")


def create_payment(
	connection: str, amount: str, currency: str, *, reference_doctype: str | None = None, reference_name: str | None = None,
	description: str | None = None, checkout: bool = False, cancel_url: str | None = None, idempotency_key: str | None = None,
	test_payment_method: str | None = None,
) -> dict:  # fmt: skip
	"""Start a payment of `amount` (decimal string) `currency` for the document
	`reference_doctype`/`reference_name` (told once it is paid) → the Integration Payment as a
	dict (`name`, `status`, `provider_payment_id`, `checkout_url`, …).

	- Stripe: a PaymentIntent (confirm it client-side with its `client_secret`, returned as
	  `client_secret`), or with `checkout=True` a Checkout Session whose `checkout_url` the
	  payer opens. `test_payment_method` (e.g. `pm_card_visa`, test mode) confirms at once.
	- PayPal: an order with intent CAPTURE; the payer approves at `checkout_url` and comes
	  back to the site, which captures it.
	- Razorpay: an order for Checkout (`provider_payment_id` is its `order_id`).

	The same `idempotency_key` twice gives the same payment (one row). Raises
	`ValueError` for an amount the currency cannot hold, `connections.errors.CallError`
	subclasses for what the provider or sidecar refused."""
	provider = provider_of(connection)
	amount = money.normalize(amount, currency, provider)
	name = frappe.generate_hash(length=12)
	meta = {"integration_payment": name, **({"reference_doctype": reference_doctype, "reference_name": reference_name} if reference_name else {})}
	key = idempotency_key or f"integration-payment:{name}"
	extra: dict = {}
	if provider == "stripe" and checkout:
		result = call(connection, "checkout_sessions.create", {
			"currency": currency, "items": [{"name": (description or reference_name or _("Payment"))[:250], "amount": amount}],
			"success_url": return_url(name), **({"cancel_url": cancel_url} if cancel_url else {}),
			"metadata": meta, **({"client_reference_id": reference_name[:200]} if reference_name else {}),
		}, idempotency_key=key)  # fmt: skip
		checkout_url = result.get("url")
	elif provider == "stripe":
		params = {"amount": amount, "currency": currency, "metadata": meta, **({"description": description} if description else {})}
		if test_payment_method:
			params.update(confirm=True, payment_method=test_payment_method, payment_method_types=["card"])
		result = call(connection, "payment_intents.create", params, idempotency_key=key)
		checkout_url, extra["client_secret"] = None, result.get("client_secret")
	elif provider == "paypal":
		custom_id = f"{reference_doctype}/{reference_name}"[:127] if reference_name else None
		result = call(connection, "orders.create", {
			"amount": amount, "currency": currency, "return_url": return_url(name), **({"cancel_url": cancel_url} if cancel_url else {}),
			**({"custom_id": custom_id} if custom_id else {}), **({"description": description[:127]} if description else {}), "invoice_id": name,
		}, idempotency_key=key)  # fmt: skip
		checkout_url = next((link["href"] for link in result.get("links") or [] if link.get("rel") in ("approve", "payer-action")), None)
	else:
		result = call(connection, "orders.create", {"amount": amount, "currency": currency, "receipt": name, "notes": meta}, idempotency_key=key)
		checkout_url = None

	existing = frappe.db.get_value(PAYMENT, {"provider_payment_id": result["id"]}, "name")
	if existing:  # the same key again: the provider gave back the payment already recorded
		return {**ledger.summary(existing), **extra}
	seen = observe.from_object(provider, result)
	doc = ledger.create(
		connection=connection, provider=provider, provider_payment_id=result["id"], amount=amount, currency=currency,
		reference_doctype=reference_doctype, reference_name=reference_name, description=description, checkout_url=checkout_url,
		name=name, provider_status=(seen.detail if seen else {}).get(f"{provider}_status") or result.get("status"),
	)  # fmt: skip
	if seen and seen.status != CREATED:
		ledger.apply(seen, "api")
	return {**ledger.summary(doc.name), **extra}


def _row(payment: str):
	row = frappe.db.get_value(PAYMENT, payment, ["name", "connection", "provider", "provider_payment_id", "amount", "currency", "status", "capture_id"], as_dict=True)
	if not row:
		frappe.throw(_("No Integration Payment {0}").format(payment), frappe.DoesNotExistError)
	row.amount = money.normalize(str(row.amount), row.currency, row.provider)
	return row


def fetch(payment: str) -> dict:
	"""The provider's current object for an Integration Payment (no change made)."""
	row = _row(payment)
	pid = row.provider_payment_id
	if row.provider == "stripe":
		return call(row.connection, "checkout_sessions.retrieve" if pid.startswith("cs_") else "payment_intents.retrieve", {"id": pid})
	if row.provider == "paypal":
		return call(row.connection, "orders.get", {"id": pid})
	return call(row.connection, "orders.fetch", {"id": pid})


def retrieve(payment: str, source: str = "api") -> dict:
	"""Re-read the payment at the provider and apply what it says → the row as a dict."""
	ledger.apply(observe.from_object(_row(payment).provider, fetch(payment)), source)
	return ledger.summary(payment)


def capture(payment: str, *, razorpay_payment_id: str | None = None, source: str = "api") -> dict:
	"""Capture an approved PayPal order, or an authorized Razorpay payment (its id from
	Checkout, or the one already known) → the row as a dict. Stripe captures automatically."""
	row = _row(payment)
	if row.provider == "paypal":
		result = call(row.connection, "orders.capture", {"id": row.provider_payment_id}, idempotency_key=f"capture:{row.name}")
	elif row.provider == "razorpay":
		rzp_id = razorpay_payment_id or row.capture_id
		if not rzp_id:
			frappe.throw(_("Which Razorpay payment? Pass razorpay_payment_id."))
		result = call(row.connection, "payments.capture", {"id": rzp_id, "amount": row.amount, "currency": row.currency})
		if result.get("order_id") != row.provider_payment_id:
			frappe.throw(_("Razorpay payment {0} is not for order {1}").format(rzp_id, row.provider_payment_id))
	else:
		frappe.throw(_("Stripe PaymentIntents here capture automatically"))
	ledger.apply(observe.from_object(row.provider, result), source)
	return ledger.summary(payment)


def refund(payment: str, amount: str | None = None, *, idempotency_key: str | None = None) -> dict:
	"""Refund a succeeded payment, wholly or `amount` (decimal string) of it → the provider's
	refund object. A full refund marks the payment Refunded."""
	row = _row(payment)
	part = {"amount": amount, "currency": row.currency} if amount else {}
	key = idempotency_key or f"refund:{row.name}:{amount or 'full'}"
	if row.provider == "stripe":
		intent = row.provider_payment_id
		if intent.startswith("cs_"):
			intent = fetch(payment).get("payment_intent")
		result = call(row.connection, "refunds.create", {"payment_intent": intent, **part}, idempotency_key=key)
	elif row.provider == "paypal":
		capture_id = row.capture_id or (observe.from_object("paypal", fetch(payment)) or observe.Observation("paypal", "", CREATED)).capture_id
		result = call(row.connection, "captures.refund", {"capture_id": capture_id, **part}, idempotency_key=key)
	else:
		result = call(row.connection, "refunds.create", {"payment_id": row.capture_id, **part})
	if not amount or money.to_minor(amount, row.currency, row.provider) == money.to_minor(row.amount, row.currency, row.provider):
		ledger.apply(observe.Observation(row.provider, row.provider_payment_id, REFUNDED, None, None, detail={"refund": result.get("id")}), "api")
	return result


def cancel(payment: str) -> dict:
	"""Cancel a Stripe PaymentIntent that has not succeeded → the row as a dict."""
	row = _row(payment)
	if row.provider != "stripe" or not row.provider_payment_id.startswith("pi_"):
		frappe.throw(_("Only Stripe PaymentIntents can be cancelled here"))
	ledger.apply(observe.from_object("stripe", call(row.connection, "payment_intents.cancel", {"id": row.provider_payment_id})), "api")
	return ledger.summary(payment)


def verify_razorpay_signature(connection: str, order_id: str, payment_id: str, signature: str) -> bool:
	"""Check Razorpay Checkout's `razorpay_signature` with the connection's key secret (its
	Basic auth password), in Python; the sidecar's `payments.verify_signature` is the same check."""
	if provider_of(connection) != "razorpay":
		frappe.throw(_("Connection {0} is not a Razorpay connection").format(connection))
	secret = frappe.get_doc(CONNECTION, connection).get_password("secret", raise_exception=False)
	return verify_razorpay_checkout(order_id, payment_id, signature, secret or "")
