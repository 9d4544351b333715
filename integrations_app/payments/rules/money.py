"""Minor units ⇄ decimal strings, exactly (Frappe-free). The sidecar's `providers/money.ts`
converts what callers send; this reads back what providers report (webhooks, retrieves), so
the amounts stored and compared are the ones the provider charged. Same tables, same rules:
zero-decimal currencies (Stripe's list of 16), three-decimal BHD JOD KWD OMR TND, Stripe's ISK
two-decimal in the API, PayPal's decimal strings (HUF, JPY, TWD without decimals)."""

import re
from decimal import Decimal, InvalidOperation

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


def exponent(currency: str, provider: str) -> int:
	"""Digits after the point the provider's integer amounts stand for; ValueError for a code
	that is not three letters."""
	if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
		raise ValueError(f"{currency!r} is not a three-letter ISO 4217 currency code")
	c = currency.upper()
	if c in ZERO_DECIMAL:
		return 0
	if c in THREE_DECIMAL:
		return 3
	if provider == "paypal" and c in ("HUF", "TWD"):
		return 0
	return 2


def parse_decimal(amount) -> Decimal:
	"""A positive decimal from a string (or int); ValueError for anything else (floats included:
	they carry binary rounding, e.g. 0.29)."""
	if isinstance(amount, bool) or isinstance(amount, float):
		raise ValueError(f"amount must be a decimal string, not {type(amount).__name__}")
	try:
		value = Decimal(str(amount).strip())
	except InvalidOperation:
		raise ValueError(f"{amount!r} is not a decimal such as 5.00") from None
	if not value.is_finite() or value <= 0:
		raise ValueError("amount must be more than zero")
	return value


def to_minor(amount, currency: str, provider: str) -> int:
	"""Decimal amount → the provider's integer minor units; ValueError when it does not fit
	the currency (more decimals than it has)."""
	value = parse_decimal(amount) * (Decimal(10) ** exponent(currency, provider))
	if value != value.to_integral_value():
		raise ValueError(f"{amount} {currency.upper()} has more decimals than the currency takes")
	return int(value)


def from_minor(minor: int, currency: str, provider: str) -> str:
	"""Integer minor units → decimal string with the currency's decimals (500 USD → "5.00")."""
	e = exponent(currency, provider)
	return str((Decimal(int(minor)) / (Decimal(10) ** e)).quantize(Decimal(1) / (Decimal(10) ** e)))


def normalize(amount, currency: str, provider: str) -> str:
	"""A caller's decimal in the currency's own form ("5" USD → "5.00")."""
	return from_minor(to_minor(amount, currency, provider), currency, provider)
