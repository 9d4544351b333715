"""Webhook conditions: a Python expression over `doc`, evaluated by frappe.safe_eval.

`doc` is a `ReadOnlyRecord` of the document's values, never the Document: a condition is a
filter, so it must not be able to call `db_set`, `save`, `run_method`, `get_password`… on the
live document of someone else's request.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

MAX_ERROR_LENGTH = 1000


class ReadOnlyRecord:
	"""A document's values: `doc.status`, `doc["status"]`, `doc.get("status")`; child rows are
	tuples of records. No other methods, and nothing can be set or deleted."""

	__slots__ = ("_values",)

	def __init__(self, values: Mapping[str, Any]):
		object.__setattr__(self, "_values", MappingProxyType({key: _frozen(value) for key, value in values.items()}))

	def __getattr__(self, name: str) -> Any:
		try:
			return self._values[name]
		except KeyError:
			raise AttributeError(f"the document has no field {name!r}") from None

	def __getitem__(self, name: str) -> Any:
		return self._values[name]

	def __contains__(self, name: object) -> bool:
		return name in self._values

	def get(self, name: str, default: Any = None) -> Any:
		return self._values.get(name, default)

	def __setattr__(self, name: str, value: Any) -> None:
		raise AttributeError("a condition cannot change the document")

	def __delattr__(self, name: str) -> None:
		raise AttributeError("a condition cannot change the document")

	def __repr__(self) -> str:
		return f"ReadOnlyRecord({self._values.get('doctype')!r}, {self._values.get('name')!r})"


def _frozen(value: Any) -> Any:
	if isinstance(value, Mapping):
		return ReadOnlyRecord(value)
	if isinstance(value, (list, tuple)):
		return tuple(_frozen(item) for item in value)
	if isinstance(value, set):
		return frozenset(value)
	return value


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
