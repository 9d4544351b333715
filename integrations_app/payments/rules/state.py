"""The state machine of an Integration Payment (Frappe-free).

    Created ─► Pending ─► Succeeded ─► Refunded
       │          │  ▲         ▲
       │          ▼  │         │
       ├────────► Failed ──────┘   (a new attempt after a decline can still succeed)
       └────────► Cancelled ◄─ Pending / Failed

A payment is *settled* the one time it becomes Succeeded: that transition alone runs the site's
settlement (its hook, the reference document's `on_payment_authorized`). Anything else that
arrives later — the redirect after the webhook, a retried webhook, an older event delivered out
of order (`processing` after `succeeded`) — is a no-op, never a step back: providers deliver
webhooks unordered and more than once (REFERENCE.md §5, §7; frappe/press#277).
"""

from dataclasses import dataclass

CREATED = "Created"
PENDING = "Pending"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
REFUNDED = "Refunded"
CANCELLED = "Cancelled"
STATUSES = (CREATED, PENDING, SUCCEEDED, FAILED, REFUNDED, CANCELLED)

ALLOWED: dict[str, frozenset[str]] = {
	CREATED: frozenset({PENDING, SUCCEEDED, FAILED, CANCELLED}),
	PENDING: frozenset({SUCCEEDED, FAILED, CANCELLED}),
	FAILED: frozenset({PENDING, SUCCEEDED, CANCELLED}),
	SUCCEEDED: frozenset({REFUNDED}),
	REFUNDED: frozenset(),
	CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class Decision:
	"""What to do with one observation of a payment."""

	status: str
	"""The status to keep (unchanged when `changed` is False)."""
	changed: bool
	settles: bool
	"""True only for the transition into Succeeded: run the settlement now, and only now."""
	reason: str


def decide(current: str, observed: str) -> Decision:
	"""The outcome of seeing the provider say `observed` while the row says `current`."""
	if current not in ALLOWED or observed not in ALLOWED:
		raise ValueError(f"unknown payment status {current if current not in ALLOWED else observed!r}")
	if observed == current:
		return Decision(current, False, False, "already " + current)
	if observed not in ALLOWED[current]:
		return Decision(current, False, False, f"ignored {observed} after {current}")
	return Decision(observed, True, observed == SUCCEEDED, f"{current} → {observed}")
