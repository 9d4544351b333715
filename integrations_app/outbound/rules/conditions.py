"""Webhook conditions: a Python expression over `doc`, evaluated by frappe.safe_eval."""

MAX_ERROR_LENGTH = 1000


def check_condition_syntax(condition: str) -> None:
	"""Raise ValueError with the position of a syntax error; evaluation happens elsewhere."""
	try:
		compile(condition, "<condition>", "eval")
	except SyntaxError as e:
		raise ValueError(f"Condition is not a valid Python expression: {e.msg} (column {e.offset})") from None


def format_condition_error(condition: str, exc: BaseException) -> str:
	"""One line for `last_condition_error`: what failed and on which expression."""
	detail = str(exc).strip() or "no details"
	message = f"{type(exc).__name__}: {detail} — in condition {condition.strip()!r}"
	if len(message) > MAX_ERROR_LENGTH:
		message = message[: MAX_ERROR_LENGTH - 1] + "…"
	return message
