"""Applying one observation of a payment, exactly once (Frappe-free).

The caller holds the payment's row lock for the whole call (MariaDB `SELECT … FOR UPDATE` in
`payments.ledger`), so the browser's redirect and the provider's webhook, arriving together in a
web worker and a background job, are applied one after the other: the second sees the status
the first wrote and `state.decide` makes it a no-op. The update is also conditional on the
status read (`… WHERE status = <read>`), so a store without the lock would still never apply two
transitions from the same status. Settlement — the site's hook — runs only when this call
moved the row into Succeeded.
"""

from dataclasses import dataclass
from typing import Protocol

from integrations_app.payments.rules import money
from integrations_app.payments.rules.observe import Observation, amount_matches
from integrations_app.payments.rules.state import SUCCEEDED, Decision, decide


class PaymentRow(Protocol):
	name: str
	status: str
	amount: str
	currency: str
	provider: str


class PaymentStore(Protocol):
	def locked(self, seen: Observation) -> PaymentRow | None:
		"""The row `seen` is about (by provider payment id, else by the Integration Payment its
		metadata names), locked until the caller's transaction ends; None when there is none."""

	def transition(self, name: str, from_status: str, to_status: str, settled: bool, event: dict, capture_id: str | None) -> bool:
		"""UPDATE … SET status = to_status (and settled_at when `settled`, capture_id when
		given) WHERE name AND status = from_status, appending `event`; False when no row matched."""

	def note(self, name: str, event: dict) -> None:
		"""Append `event` without changing the status."""


@dataclass(frozen=True)
class Outcome:
	payment: str | None
	decision: Decision | None
	settled: bool
	"""True for the one call that moved the payment into Succeeded: settle the site's document."""


def apply(store: PaymentStore, seen: Observation, source: str, at: str) -> Outcome:
	"""Apply what the provider said (`source`: webhook, redirect, api) to the stored payment."""
	row = store.locked(seen)
	if row is None:
		return Outcome(None, None, False)
	event = {"at": at, "source": source, "observed": seen.status, **seen.detail}
	expected = money.to_minor(row.amount, row.currency, row.provider)
	if not amount_matches(seen, expected, row.currency):
		store.note(row.name, {**event, "ignored": f"amount {seen.amount_minor} {seen.currency} ≠ {expected} {row.currency}"})
		return Outcome(row.name, None, False)
	decision = decide(row.status, seen.status)
	if not decision.changed:
		store.note(row.name, {**event, "ignored": decision.reason})
		return Outcome(row.name, decision, False)
	moved = store.transition(row.name, row.status, decision.status, decision.settles, {**event, "applied": decision.reason}, seen.capture_id)
	return Outcome(row.name, decision, moved and decision.status == SUCCEEDED and decision.settles)
