"""The payments area's "Create test payment" (api/providers.py TEST_ACTIONS)."""

import frappe
from frappe import _

from integrations_app.providers import payments

DEFAULT_AMOUNT, DEFAULT_CURRENCY = "1.00", "USD"
# Stripe's test-mode card that succeeds (https://docs.stripe.com/testing): only on sandbox connections.
STRIPE_TEST_CARD = "pm_card_visa"


def create_test_payment(connection: str, params: dict) -> dict:
	"""A small payment at the provider, recorded like any other (`params`: amount, currency).
	Stripe sandbox connections confirm it with Stripe's test card, so it succeeds at once;
	PayPal gives an approve link; Razorpay an order for Checkout."""
	amount = str(params.get("amount") or DEFAULT_AMOUNT)
	currency = str(params.get("currency") or DEFAULT_CURRENCY).upper()
	sandbox = frappe.db.get_value("Integration Connection", connection, "sandbox")
	try:
		payment = payments.create_payment(
			connection,
			amount,
			currency,
			description=_("Test payment from desk"),
			test_payment_method=STRIPE_TEST_CARD if sandbox and payments.provider_of(connection) == "stripe" else None,
		)
	except ValueError as e:
		return {"ok": False, "summary": str(e)}
	return {
		"ok": True,
		"summary": _("Payment {0} of {1} {2}: {3}").format(payment["provider_payment_id"], payment["amount"], payment["currency"], _(payment["status"])),
		"payment": payment["name"],
		"status": payment["status"],
		"provider_payment_id": payment["provider_payment_id"],
		"url": payment.get("checkout_url"),
	}
