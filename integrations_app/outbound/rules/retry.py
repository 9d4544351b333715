"""Retry schedules: delays in seconds before each retry after the first (immediate) attempt."""

MAX_RETRIES = 20  # the sidecar's limit
MAX_DELAY_S = 7 * 24 * 3600

DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def parse_retry_schedule(text: str) -> list[int]:
	"""`"5, 300,1800"` -> `[5, 300, 1800]`; ValueError naming the bad entry otherwise."""
	parts = [p.strip() for p in (text or "").replace("\n", ",").split(",")]
	parts = [p for p in parts if p]
	if not parts:
		raise ValueError("The retry schedule is empty; give comma-separated delays in seconds")
	if len(parts) > MAX_RETRIES:
		raise ValueError(f"At most {MAX_RETRIES} retries are allowed, got {len(parts)}")
	delays = []
	for position, part in enumerate(parts, start=1):
		try:
			delay = int(part)
		except ValueError:
			raise ValueError(f"Retry #{position} ({part!r}) is not a whole number of seconds") from None
		if not 1 <= delay <= MAX_DELAY_S:
			raise ValueError(f"Retry #{position} must be between 1 and {MAX_DELAY_S} seconds, got {delay}")
		delays.append(delay)
	return delays


def format_retry_schedule(delays: list[int] | tuple[int, ...]) -> str:
	return ",".join(str(int(d)) for d in delays)
