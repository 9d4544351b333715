"""Razorpay Checkout's signature (Frappe-free): the browser comes back with `razorpay_order_id`,
`razorpay_payment_id` and `razorpay_signature` = hex HMAC-SHA256 of `order_id|payment_id` keyed
with the API **key secret** (not the webhook secret; REFERENCE.md §5). The same check as the
sidecar's `payments.verify_signature` and the razorpay package's validatePaymentVerification."""

import hashlib
import hmac


def razorpay_checkout_signature(order_id: str, payment_id: str, key_secret: str) -> str:
	return hmac.new(key_secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()


def verify_razorpay_checkout(order_id: str, payment_id: str, signature: str, key_secret: str) -> bool:
	"""Constant-time; False for any malformed input rather than an exception."""
	if not (order_id and payment_id and signature and key_secret):
		return False
	expected = razorpay_checkout_signature(order_id, payment_id, key_secret)
	return hmac.compare_digest(expected, str(signature).strip().lower())
