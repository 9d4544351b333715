"""Desk and SPA methods for Integration Payments, and the payer's return from the provider."""

import frappe
from frappe import _
from frappe.utils import cint

from integrations_app.payments import gateway, ledger, redirect
from integrations_app.payments.rules.state import STATUSES, SUCCEEDED
from integrations_app.permissions import require_manager
from integrations_app.providers import payments

MAX_ROWS = 500


@frappe.whitelist()
def list_payments(status: str | None = None, connection: str | None = None, limit: int = 100) -> list[dict]:
	"""Newest payments first for the Payments log (desk's read permission applies)."""
	require_manager()
	filters = {}
	if status:
		if status not in STATUSES:
			frappe.throw(_("Unknown status {0}").format(status))
		filters["status"] = status
	if connection:
		filters["connection"] = connection
	rows = frappe.get_list(ledger.PAYMENT, fields=list(ledger.LIST_FIELDS), filters=filters, order_by="creation desc", limit_page_length=min(max(cint(limit), 1), MAX_ROWS))
	for row in rows:
		row["amount"] = ledger.amount_text(row["amount"], row["currency"], row["provider"])
	return rows


@frappe.whitelist(methods=["POST"])
def refresh_payment(payment: str) -> dict:
	"""Re-read one payment at its provider and apply what it says (a missed webhook)."""
	require_manager()
	frappe.get_doc(ledger.PAYMENT, payment).check_permission("read")
	return payments.retrieve(payment)


@frappe.whitelist(methods=["POST"])
def register_gateway(connection: str) -> dict:
	"""Make a Stripe or PayPal connection a Payment Gateway for ERPNext's Payment Requests."""
	require_manager()
	frappe.get_doc("Integration Connection", connection).check_permission("write")
	return {"payment_gateway": gateway.register(connection)}


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def payment_return(payment: str | None = None, **args):
	"""Where the provider sends the payer back (`return_url`): the payment is re-read at the
	provider before anything is recorded; the payer sees how it went. Stripe and PayPal come back
	with a GET; Razorpay Checkout's `callback_url` POSTs its three fields (a logged-in payer's POST
	carries no CSRF token: let Checkout's `handler` open this URL with them as a GET instead)."""
	try:
		if not payment:
			raise frappe.DoesNotExistError
		outcome = redirect.handle_return(payment, args)
		frappe.local.flags.commit = True  # a GET: Frappe commits it only when asked
	except frappe.DoesNotExistError:
		return frappe.respond_as_web_page(_("Payment not found"), _("This payment link is not known here."), http_status_code=404, indicator_color="red")
	if not outcome["verified"]:
		return frappe.respond_as_web_page(_("Payment not verified"), _("The payment could not be verified. Nothing was recorded."), http_status_code=400, indicator_color="red")
	if outcome["status"] == SUCCEEDED:
		return frappe.respond_as_web_page(_("Payment received"), _("Thank you: your payment of {0} {1} is received.").format(outcome["amount"], outcome["currency"]), indicator_color="green")
	return frappe.respond_as_web_page(
		_("Payment {0}").format(_(outcome["status"]).lower()),
		_("The provider says this payment is {0}. This page does not change it; you may close it.").format(_(outcome["status"]).lower()),
		indicator_color="orange",
	)
