"""The per-record timeline kept on an Integration Sync Log row (`history`, JSON): the last
events, newest last. Kept on the row, not as Versions: the sidecar writes a page of rows in one
call, and the timeline is read one record at a time."""

import json

MAX_EVENTS = 50
EVENT_KEYS = ("at", "action", "status", "detail", "direction", "run_id")
MAX_DETAIL = 500


def parse(text: str | None) -> list[dict]:
	try:
		value = json.loads(text or "[]")
	except ValueError:
		return []
	return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def clean_event(event: dict) -> dict:
	clean = {key: event[key] for key in EVENT_KEYS if event.get(key) not in (None, "")}
	for key in clean:
		if not isinstance(clean[key], str):
			clean[key] = json.dumps(clean[key]) if not isinstance(clean[key], (int, float, bool)) else str(clean[key])
	if len(clean.get("detail", "")) > MAX_DETAIL:
		clean["detail"] = clean["detail"][:MAX_DETAIL] + "…"
	return clean


def append(text: str | None, events: list[dict]) -> str:
	"""The history with `events` added, capped at the last MAX_EVENTS."""
	merged = parse(text) + [clean_event(e) for e in events if isinstance(e, dict)]
	return json.dumps(merged[-MAX_EVENTS:], separators=(",", ":"))
