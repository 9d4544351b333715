"""Shaping the `data` of an outbound event from a document dict."""

import json
from typing import Any

# Always included in a "Fields" payload so a receiver knows what the data is about.
IDENTITY_FIELDS = ("doctype", "name")


class PayloadError(ValueError):
	"""The configured payload could not be produced (bad template output, …)."""


def dumps(data: Any) -> str:
	"""Compact JSON; dates, decimals and other non-JSON values become strings."""
	return json.dumps(data, default=str, separators=(",", ":"), ensure_ascii=False)


def document_data(doc: dict[str, Any]) -> dict[str, Any]:
	"""A document dict without Frappe's in-memory state: keys starting with "__" (`__unsaved`,
	`__islocal`, `__onload`, `__run_link_triggers`, …) tell how a form or a request handled the
	document, not what it holds, and `__onload` can carry whatever a controller loaded for the
	form. Frappe's own Webhook never sends them (it sends picked fields or a template). Child
	rows (dicts in a list) are cleaned the same way; Frappe's child tables do not nest."""
	return {
		key: [_row_data(row) for row in value] if isinstance(value, list) else value
		for key, value in doc.items()
		if not key.startswith("__")
	}


def _row_data(row: Any) -> Any:
	return {key: value for key, value in row.items() if not key.startswith("__")} if isinstance(row, dict) else row


def parse_field_list(text: str | None) -> list[str]:
	"""One fieldname per line (commas also accepted); blanks and repeats dropped, order kept."""
	seen: dict[str, None] = {}
	for line in (text or "").replace(",", "\n").splitlines():
		fieldname = line.strip()
		if fieldname:
			seen.setdefault(fieldname, None)
	return list(seen)


def pick_fields(doc: dict[str, Any], fieldnames: list[str]) -> dict[str, Any]:
	"""Subset of a document dict: identity fields first, then the requested ones in order."""
	data = {key: doc.get(key) for key in IDENTITY_FIELDS}
	for fieldname in fieldnames:
		data[fieldname] = doc.get(fieldname)
	return data


def parse_template_output(rendered: str) -> Any:
	"""Template output must be a JSON document; the error says where it is not."""
	try:
		return json.loads(rendered)
	except json.JSONDecodeError as e:
		excerpt = rendered.strip()[:200]
		raise PayloadError(
			f"Payload template did not produce valid JSON ({e.msg} at line {e.lineno}, column {e.colno}). "
			f"Output starts with: {excerpt!r}. Tip: use the |tojson filter for values."
		) from None
