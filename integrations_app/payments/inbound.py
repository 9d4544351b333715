"""Webhook handlers (registered in hooks.py `integration_inbound_handlers`): a verified event
about a payment moves its Integration Payment, and settles it if it just succeeded. Events about
payments this site did not make through a connection have no row and change nothing."""

from integrations_app.payments import ledger
from integrations_app.payments.rules import observe

HANDLER = "integrations_app.payments.inbound.on_payment_event"
EVENTS = {
	"stripe": observe.STRIPE_EVENTS,
	"paypal": tuple(observe.PAYPAL_CAPTURE_EVENTS),
	"razorpay": observe.RAZORPAY_EVENTS,
}


def on_payment_event(event, payload) -> None:
	"""`handler(event, payload)` as integrations_app.inbound.events calls it."""
	if isinstance(payload, dict):
		ledger.apply(observe.from_event(event.provider, payload), "webhook")
