"""Inbound handler registry.

Apps declare handlers in hooks.py:

    integration_inbound_handlers = {
        "stripe": {
            "payment_intent.succeeded": "my_app.payments.on_payment",
            "*": ["my_app.audit.log_event"],
        },
        "*": {"*": "my_app.audit.log_everything"},
    }

`frappe.get_hooks` merges the dicts of all apps and turns leaf values into lists, so the
map arrives as provider -> event type -> [dotted paths]. Handlers for an exact event type run
before `"*"` ones of the same provider, then the `"*"` provider's.
"""

from typing import Any

WILDCARD = "*"


def _as_list(value: Any) -> list[str]:
	if value is None:
		return []
	if isinstance(value, str):
		return [value]
	if isinstance(value, list | tuple):
		paths = []
		for item in value:
			paths.extend(_as_list(item))
		return paths
	raise ValueError(f"A handler must be a dotted path or a list of them, not {type(value).__name__}")


def normalize_handler_map(raw: Any) -> dict[str, dict[str, list[str]]]:
	"""Validate and normalise a hooks value (or a list of them) into provider -> type -> paths."""
	merged: dict[str, dict[str, list[str]]] = {}
	maps = raw if isinstance(raw, list) else [raw]
	for one in maps:
		if not one:
			continue
		if not isinstance(one, dict):
			raise ValueError("integration_inbound_handlers must be a dict of provider -> {event type: handler}")
		for provider, by_type in one.items():
			if not isinstance(by_type, dict):
				raise ValueError(f"Handlers for provider {provider!r} must be a dict of event type -> handler")
			target = merged.setdefault(str(provider), {})
			for event_type, paths in by_type.items():
				bucket = target.setdefault(str(event_type), [])
				for path in _as_list(paths):
					if path not in bucket:
						bucket.append(path)
	return merged


def merge_handler_maps(*maps: dict) -> dict[str, dict[str, list[str]]]:
	return normalize_handler_map(list(maps))


def resolve_handlers(handler_map: dict[str, dict[str, list[str]]], provider: str, event_type: str) -> list[str]:
	"""Dotted paths to run for one event, without repeats."""
	ordered: list[str] = []
	for provider_key in (provider, WILDCARD):
		by_type = handler_map.get(provider_key) or {}
		for type_key in (event_type, WILDCARD):
			for path in by_type.get(type_key) or []:
				if path not in ordered:
					ordered.append(path)
	return ordered
