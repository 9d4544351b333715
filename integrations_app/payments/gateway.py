"""ERPNext Payment Requests paid through a connection (optional).

Frappe's payments app and ERPNext find a gateway's controller as
`frappe.get_doc(gateway.gateway_settings, gateway.gateway_controller)` and call its
`validate_transaction_currency(currency)` and `get_payment_url(**data)`; once paid, the
Payment Request's `on_payment_authorized("Completed")` makes the Payment Entry. Here the
controller is the Integration Connection itself (its controller delegates to this module), and
`register(connection)` adds the Payment Gateway record pointing at it. Sites without the
"Payment Gateway" DocType (no payments app / ERPNext) never reach this module's Frappe imports
of those apps: nothing here imports them.
"""

import frappe
from frappe import _

from integrations_app.connections.config import CONNECTION
from integrations_app.payments.rules import money
from integrations_app.providers import payments

GATEWAY = "Payment Gateway"
GATEWAY_SUFFIX = " (Integrations)"
CHECKOUT_PROVIDERS = ("stripe", "paypal")


def available() -> bool:
	return bool(frappe.db.exists("DocType", GATEWAY))


def register(connection: str) -> str:
	"""Create (or keep) the Payment Gateway `<connection> (Integrations)` whose controller is
	this connection → its name. Only Stripe and PayPal connections: their payers pay on the
	provider's page and come back, which a Payment Request's link needs."""
	if not available():
		frappe.throw(_("Install the payments app (or ERPNext) to use connections as payment gateways"))
	if payments.provider_of(connection) not in CHECKOUT_PROVIDERS:
		frappe.throw(_("Only Stripe and PayPal connections can be Payment Gateways"))
	name = f"{connection}{GATEWAY_SUFFIX}"
	if not frappe.db.exists(GATEWAY, name):
		frappe.get_doc({"doctype": GATEWAY, "gateway": name, "gateway_settings": CONNECTION, "gateway_controller": connection}).insert(ignore_permissions=True)
	return name


def validate_transaction_currency(connection: str, currency: str) -> None:
	try:
		money.to_minor("1", currency, payments.provider_of(connection))
	except ValueError as e:
		frappe.throw(_("{0} cannot take payments in {1}: {2}").format(connection, currency, e))


def get_payment_url(connection: str, **data) -> str:
	"""The page the payer opens for `data` (amount, currency, reference_doctype/docname, title,
	description) as ERPNext's Payment Request passes it."""
	payment = payments.create_payment(
		connection,
		str(data["amount"]),
		data["currency"],
		reference_doctype=data.get("reference_doctype"),
		reference_name=data.get("reference_docname"),
		description=data.get("description") or data.get("title"),
		checkout=True,
		idempotency_key=f"payment-request:{data.get('reference_doctype')}:{data.get('reference_docname')}:{data['amount']}",
	)
	return payment["checkout_url"]
