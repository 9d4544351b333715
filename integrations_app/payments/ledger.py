"""Integration Payment rows: created when a payment is made, then moved only by what the
provider says (`apply`), under the row's lock, so the payment is settled exactly once.

Settlement (the one move into Succeeded) runs in the same transaction as the status change:
1. every `integrations_payment_settled` hook of the site's apps, called as `hook(payment)` with
   the Integration Payment document;
2. the reference document's `on_payment_authorized("Completed")` when it has one — the method
   Frappe's payment gateways call, which ERPNext's Payment Request implements (it makes the
   Payment Entry).
An error in either rolls the whole move back (the webhook is retried, the payment stays as it was).
"""

import json

import frappe
from frappe.realtime import get_doctype_room
from frappe.utils import now, now_datetime

from integrations_app.payments.rules import money, settle
from integrations_app.payments.rules.observe import Observation
from integrations_app.payments.rules.state import CREATED, STATUSES

PAYMENT = "Integration Payment"
SETTLED_HOOK = "integrations_payment_settled"
REALTIME_EVENT = "integrations_payment"
MAX_EVENTS = 50
LIST_FIELDS = (
	"name", "provider", "provider_payment_id", "connection", "status", "amount", "currency",
	"reference_doctype", "reference_name", "settled_at", "description", "checkout_url", "last_error", "creation", "modified",
)  # fmt: skip


def amount_text(amount, currency: str, provider: str) -> str:
	"""The stored amount (a float from the Currency column) as the currency writes it: "2.50"."""
	try:
		return money.normalize(str(amount), currency, provider)
	except ValueError:
		return str(amount)


class _Row:
	def __init__(self, row: dict):
		self.name, self.status, self.provider, self.currency = row["name"], row["status"], row["provider"], row["currency"]
		self.amount = str(row["amount"])
		self.events = row["events"]


class DbStore:
	"""`settle.PaymentStore` on MariaDB. The row is found first, then locked by its primary key
	(`SELECT … FOR UPDATE`, held until commit): a locking read by another column could lock every
	row it scans. Status and events come from that locking read — the latest committed version,
	whatever snapshot the transaction began with."""

	def __init__(self):
		self.rows: dict[str, _Row] = {}

	def locked(self, seen: Observation):
		name = frappe.db.get_value(PAYMENT, {"provider_payment_id": seen.payment_id, "provider": seen.provider}, "name") or seen.payment_name
		if not name:
			return None
		rows = frappe.db.sql(
			f"select name, status, amount, currency, provider, events from `tab{PAYMENT}` where name = %s and provider = %s for update",
			(name, seen.provider),
			as_dict=True,
		)
		if not rows:
			return None
		self.rows[name] = _Row(rows[0])
		return self.rows[name]

	def _events(self, name: str, event: dict) -> str:
		raw = self.rows[name].events
		try:
			events = json.loads(raw) if raw else []
		except ValueError:
			events = []
		return json.dumps((events + [event])[-MAX_EVENTS:], indent=1, default=str)

	def transition(self, name, from_status, to_status, settled, event, capture_id):
		frappe.db.sql(
			f"""update `tab{PAYMENT}` set status = %(to)s, events = %(events)s, modified = %(now)s,
			settled_at = if(%(settled)s, %(now)s, settled_at), capture_id = coalesce(%(capture)s, capture_id), last_error = null
			where name = %(name)s and status = %(from)s""",
			{"to": to_status, "from": from_status, "name": name, "events": self._events(name, event), "now": now(), "settled": 1 if settled else 0, "capture": capture_id},
		)
		return frappe.db._cursor.rowcount == 1

	def note(self, name, event):
		error = event.get("ignored") if str(event.get("ignored", "")).startswith("amount") else None
		frappe.db.sql(
			f"update `tab{PAYMENT}` set events = %s, last_error = coalesce(%s, last_error), modified = %s where name = %s",
			(self._events(name, event), error, now(), name),
		)


def create(
	*, connection: str, provider: str, provider_payment_id: str, amount: str, currency: str, status: str = CREATED,
	reference_doctype: str | None = None, reference_name: str | None = None, description: str | None = None,
	checkout_url: str | None = None, name: str | None = None, provider_status: str | None = None,
):  # fmt: skip
	"""Insert the row for a payment just made at the provider (its id is unique: one row per payment)."""
	if status not in STATUSES:
		raise ValueError(f"unknown payment status {status!r}")
	doc = frappe.get_doc(
		{
			"doctype": PAYMENT,
			"connection": connection,
			"provider": provider,
			"provider_payment_id": provider_payment_id,
			"amount": amount,
			"currency": currency.upper(),
			"status": status,
			"reference_doctype": reference_doctype,
			"reference_name": reference_name,
			"description": description,
			"checkout_url": checkout_url,
			"events": json.dumps([{"at": now(), "source": "api", "observed": status, "provider_status": provider_status}], indent=1),
		}
	)
	# The name may already be in the provider's metadata (how a Checkout Session's PaymentIntent
	# finds its row): keep it, never a fresh hash.
	doc.insert(ignore_permissions=True, set_name=name)
	publish(doc.name)
	return doc


def apply(seen: Observation | None, source: str) -> settle.Outcome:
	"""Apply one provider observation; settles the payment if this call moved it into Succeeded."""
	if seen is None:
		return settle.Outcome(None, None, False)
	outcome = settle.apply(DbStore(), seen, source, now_datetime().isoformat())
	if outcome.settled:
		_settle(outcome.payment)
	if outcome.payment:
		publish(outcome.payment)
	return outcome


def _settle(name: str) -> None:
	payment = frappe.get_doc(PAYMENT, name)
	for path in frappe.get_hooks(SETTLED_HOOK) or []:
		frappe.get_attr(path)(payment)
	if payment.reference_doctype and payment.reference_name and frappe.db.exists(payment.reference_doctype, payment.reference_name):
		ref = frappe.get_doc(payment.reference_doctype, payment.reference_name)
		if hasattr(ref, "on_payment_authorized"):
			# As Frappe's gateways do: the payer (a guest, or the sidecar's user) is not the one
			# allowed to write the document; the provider's word, checked above, is the authority.
			ref.flags.ignore_permissions = True
			ref.run_method("on_payment_authorized", "Completed")


def summary(name: str) -> dict | None:
	row = frappe.db.get_value(PAYMENT, name, list(LIST_FIELDS), as_dict=True)
	if row:
		row["amount"] = amount_text(row["amount"], row["currency"], row["provider"])
	return row


def publish(name: str) -> None:
	"""Tell the SPA's Payments page (room of the DocType: readers only), once committed."""
	row = summary(name)
	if row:
		frappe.publish_realtime(REALTIME_EVENT, {"items": [row]}, room=get_doctype_room(PAYMENT), after_commit=True)
