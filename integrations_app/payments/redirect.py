"""The payer's way back from the provider (`api.payments.payment_return`).

The redirect proves nothing by itself — anyone can open the URL — so it only triggers a re-read
of the payment at the provider through the connection, and what the provider says is applied
(settling once, like a webhook would). Razorpay's signature is checked first, and PayPal's
approved order is captured here: approval is the payer's step, capture the site's.
"""

import frappe

from integrations_app.payments import ledger
from integrations_app.payments.rules import observe
from integrations_app.payments.rules.signature import verify_razorpay_checkout
from integrations_app.payments.rules.state import SUCCEEDED
from integrations_app.providers import payments
from integrations_app.providers.call import call

SOURCE = "redirect"


def handle_return(payment: str, args: dict) -> dict:
	"""→ the row as a dict after the provider was asked; `verified` False when Razorpay's
	signature did not match (nothing is applied then)."""
	row = frappe.db.get_value(ledger.PAYMENT, payment, ["name", "provider", "provider_payment_id", "connection", "status"], as_dict=True)
	if not row:
		raise frappe.DoesNotExistError(payment)
	if row.status == SUCCEEDED:
		return {**ledger.summary(payment), "verified": True}
	if row.provider == "razorpay":
		rzp_payment = args.get("razorpay_payment_id")
		secret = frappe.get_doc("Integration Connection", row.connection).get_password("secret", raise_exception=False) or ""
		if not (rzp_payment and verify_razorpay_checkout(row.provider_payment_id, rzp_payment, args.get("razorpay_signature") or "", secret)):
			return {**ledger.summary(payment), "verified": False}
		# The signature says Checkout saw this payment; the provider says whether it is captured.
		fetched = call(row.connection, "payments.fetch", {"id": rzp_payment})
		if fetched.get("order_id") == row.provider_payment_id and fetched.get("status") == "authorized":
			return {**payments.capture(payment, razorpay_payment_id=rzp_payment, source=SOURCE), "verified": True}
		ledger.apply(observe.from_object("razorpay", fetched), SOURCE)
		return {**ledger.summary(payment), "verified": True}
	if row.provider == "paypal":
		order = payments.fetch(payment)
		if order.get("status") == "APPROVED":
			return {**payments.capture(payment, source=SOURCE), "verified": True}
		ledger.apply(observe.from_object("paypal", order), SOURCE)
		return {**ledger.summary(payment), "verified": True}
	return {**payments.retrieve(payment, source=SOURCE), "verified": True}
