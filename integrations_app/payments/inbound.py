"""Webhook handlers (registered in hooks.py `integration_inbound_handlers`): a verified event
about a payment moves its Integration Payment, and settles it if it just succeeded. Events about
payments this site did not make through a connection have no row and change nothing. The event
types registered are those `rules/observe.py` reads (tests_pure/test_payments.py keeps them equal)."""

from integrations_app.payments import ledger
from integrations_app.payments.rules import observe


def on_payment_event(event, payload) -> None:
	"""`handler(event, payload)` as integrations_app.inbound.events calls it."""
	if isinstance(payload, dict):
		ledger.apply(observe.from_event(event.provider, payload), "webhook")
