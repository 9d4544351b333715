"""What a provider says about a payment, read into one shape (Frappe-free).

The id an Integration Payment is known by (`provider_payment_id`) is the object the site
creates: Stripe's PaymentIntent, PayPal's order, Razorpay's order. Webhooks about captures and
payments name it too (a PayPal capture's `related_ids.order_id`, a Razorpay payment's
`order_id`), so every path finds the same row. Statuses map to `state.STATUSES`; an event or
object this module does not know maps to None (nothing to apply).
"""

from dataclasses import dataclass, field

from integrations_app.payments.rules import money
from integrations_app.payments.rules.state import CANCELLED, FAILED, PENDING, REFUNDED, SUCCEEDED


@dataclass(frozen=True)
class Observation:
	provider: str
	payment_id: str
	status: str
	amount_minor: int | None = None
	currency: str | None = None
	reference_doctype: str | None = None
	reference_name: str | None = None
	detail: dict = field(default_factory=dict)
	payment_name: str | None = None
	"""The Integration Payment the provider's metadata names (`integration_payment`): how a
	Stripe Checkout Session's PaymentIntent, created after the row, still finds it."""
	capture_id: str | None = None
	"""What a refund needs: Stripe's charge, PayPal's capture, Razorpay's payment."""


def _ref(meta) -> tuple[str | None, str | None]:
	meta = meta if isinstance(meta, dict) else {}
	return meta.get("reference_doctype") or None, meta.get("reference_name") or None


# --- Stripe (https://docs.stripe.com/api/payment_intents/object#payment_intent_object-status)

STRIPE_INTENT = {
	"requires_payment_method": PENDING,
	"requires_confirmation": PENDING,
	"requires_action": PENDING,
	"processing": PENDING,
	"requires_capture": PENDING,
	"succeeded": SUCCEEDED,
	"canceled": CANCELLED,
}


def stripe_intent(pi: dict) -> Observation | None:
	if not isinstance(pi, dict) or pi.get("object") != "payment_intent" or pi.get("status") not in STRIPE_INTENT:
		return None
	status = STRIPE_INTENT[pi["status"]]
	error = pi.get("last_payment_error") or None
	if pi["status"] == "requires_payment_method" and error:
		status = FAILED  # declined; the customer may still try again
	meta = pi.get("metadata") if isinstance(pi.get("metadata"), dict) else {}
	doctype, name = _ref(meta)
	return Observation(
		"stripe",
		pi["id"],
		status,
		int(pi["amount"]) if pi.get("amount") is not None else None,
		(pi.get("currency") or "").upper() or None,
		doctype,
		name,
		{"stripe_status": pi["status"], **({"decline": error.get("decline_code") or error.get("code")} if isinstance(error, dict) else {})},
		meta.get("integration_payment") or None,
		pi.get("latest_charge") if isinstance(pi.get("latest_charge"), str) else None,
	)


def stripe_session(cs: dict) -> Observation | None:
	"""A Checkout Session (mode payment): paid, open (Pending) or expired (Cancelled)."""
	if not isinstance(cs, dict) or cs.get("object") != "checkout.session":
		return None
	if cs.get("payment_status") in ("paid", "no_payment_required"):
		status = SUCCEEDED
	elif cs.get("status") == "expired":
		status = CANCELLED
	else:
		status = PENDING
	meta = cs.get("metadata") if isinstance(cs.get("metadata"), dict) else {}
	amount = cs.get("amount_total")
	return Observation(
		"stripe", cs["id"], status, int(amount) if amount is not None else None, (cs.get("currency") or "").upper() or None,
		*_ref(meta), {"stripe_status": f"{cs.get('status')}/{cs.get('payment_status')}"}, meta.get("integration_payment") or None,
	)


STRIPE_EVENTS = ("checkout.session.completed", "checkout.session.expired", "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled", "payment_intent.processing", "charge.refunded")


def stripe_event(event: dict) -> Observation | None:
	obj = ((event or {}).get("data") or {}).get("object") or {}
	kind = (event or {}).get("type")
	if kind == "charge.refunded":
		if not obj.get("payment_intent") or not obj.get("refunded"):
			return None  # a partial refund leaves the payment Succeeded
		return Observation("stripe", obj["payment_intent"], REFUNDED, int(obj["amount"]), (obj.get("currency") or "").upper(), *_ref(obj.get("metadata")), {"event": kind})
	if kind in STRIPE_EVENTS:
		seen = stripe_session(obj) if kind.startswith("checkout.") else stripe_intent(obj)
		return Observation(**{**seen.__dict__, "detail": {**seen.detail, "event": kind}}) if seen else None
	return None


# --- PayPal (https://developer.paypal.com/docs/api/orders/v2/, webhooks event names)

PAYPAL_ORDER = {"CREATED": PENDING, "SAVED": PENDING, "APPROVED": PENDING, "PAYER_ACTION_REQUIRED": PENDING, "VOIDED": CANCELLED}


def _paypal_amount(amount) -> tuple[int | None, str | None]:
	if not isinstance(amount, dict) or not amount.get("currency_code") or not amount.get("value"):
		return None, None
	return money.to_minor(amount["value"], amount["currency_code"], "paypal"), amount["currency_code"].upper()


def _split_custom_id(custom_id) -> tuple[str | None, str | None]:
	"""`custom_id` carries the site's document as `<DocType>/<name>` (PayPal has no metadata)."""
	if isinstance(custom_id, str) and "/" in custom_id:
		doctype, name = custom_id.split("/", 1)
		return doctype or None, name or None
	return None, None


def paypal_order(order: dict) -> Observation | None:
	if not isinstance(order, dict) or not order.get("id") or not order.get("status"):
		return None
	unit = (order.get("purchase_units") or [{}])[0]
	captures = ((unit.get("payments") or {}).get("captures")) or []
	if order["status"] == "COMPLETED":
		states = {c.get("status") for c in captures}
		status = SUCCEEDED if "COMPLETED" in states or not captures else (FAILED if states & {"DECLINED", "FAILED"} else PENDING)
		if states and states <= {"REFUNDED"}:
			status = REFUNDED
	elif order["status"] in PAYPAL_ORDER:
		status = PAYPAL_ORDER[order["status"]]
	else:
		return None
	minor, currency = _paypal_amount(unit.get("amount"))
	capture_id = captures[0].get("id") if captures else None
	return Observation("paypal", order["id"], status, minor, currency, *_split_custom_id(unit.get("custom_id")), {"paypal_status": order["status"]}, None, capture_id)


PAYPAL_CAPTURE_EVENTS = {"PAYMENT.CAPTURE.COMPLETED": SUCCEEDED, "PAYMENT.CAPTURE.DENIED": FAILED, "PAYMENT.CAPTURE.DECLINED": FAILED}


def paypal_event(event: dict) -> Observation | None:
	kind = (event or {}).get("event_type")
	capture = (event or {}).get("resource") or {}
	order_id = ((capture.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")
	if kind not in PAYPAL_CAPTURE_EVENTS or not order_id:
		return None
	minor, currency = _paypal_amount(capture.get("amount"))
	return Observation("paypal", order_id, PAYPAL_CAPTURE_EVENTS[kind], minor, currency, *_split_custom_id(capture.get("custom_id")), {"event": kind}, None, capture.get("id"))


# --- Razorpay (https://razorpay.com/docs/api/payments/, webhook payloads)

RAZORPAY_PAYMENT = {"created": PENDING, "authorized": PENDING, "captured": SUCCEEDED, "failed": FAILED, "refunded": REFUNDED}


def razorpay_payment(payment: dict) -> Observation | None:
	if not isinstance(payment, dict) or payment.get("status") not in RAZORPAY_PAYMENT or not payment.get("order_id"):
		return None
	notes = payment.get("notes") if isinstance(payment.get("notes"), dict) else {}
	return Observation(
		"razorpay",
		payment["order_id"],
		RAZORPAY_PAYMENT[payment["status"]],
		int(payment["amount"]),
		(payment.get("currency") or "").upper() or None,
		*_ref(notes),
		{"razorpay_status": payment["status"]},
		notes.get("integration_payment") or None,
		payment.get("id"),
	)


def razorpay_order(order: dict) -> Observation | None:
	"""An order is paid once a payment on it is captured; until then it says nothing new."""
	if not isinstance(order, dict) or order.get("status") != "paid":
		return None
	notes = order.get("notes") if isinstance(order.get("notes"), dict) else {}
	return Observation("razorpay", order["id"], SUCCEEDED, int(order["amount"]), (order.get("currency") or "").upper(), *_ref(notes), {"razorpay_status": "paid"}, notes.get("integration_payment") or None)


RAZORPAY_EVENTS = ("payment.authorized", "payment.captured", "payment.failed", "order.paid")


def razorpay_event(event: dict) -> Observation | None:
	kind = (event or {}).get("event")
	payload = (event or {}).get("payload") or {}
	if kind not in RAZORPAY_EVENTS:
		return None
	seen = razorpay_payment(((payload.get("payment") or {}).get("entity")) or {})
	return Observation(**{**seen.__dict__, "detail": {**seen.detail, "event": kind}}) if seen else None


def from_object(provider: str, obj: dict) -> Observation | None:
	"""A retrieved object (what the redirect re-reads) → Observation."""
	if provider == "stripe":
		return stripe_session(obj) if (obj or {}).get("object") == "checkout.session" else stripe_intent(obj)
	if provider == "paypal":
		return paypal_order(obj)
	if provider == "razorpay":
		return razorpay_payment(obj) if (obj or {}).get("entity") == "payment" else razorpay_order(obj)
	return None


def from_event(provider: str, event: dict) -> Observation | None:
	"""A verified webhook body → Observation."""
	return {"stripe": stripe_event, "paypal": paypal_event, "razorpay": razorpay_event}.get(provider, lambda _e: None)(event)


def amount_matches(seen: Observation, expected_minor: int, expected_currency: str) -> bool:
	"""Settle only what was asked: the provider's amount and currency must equal the row's."""
	if seen.amount_minor is None:
		return True  # nothing said about the amount (a status-only object)
	return seen.amount_minor == expected_minor and (seen.currency or "").upper() == expected_currency.upper()
