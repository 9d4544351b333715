"""The SPA's per-connection chart from the sidecar's per-minute stats
(`POST /v1/connections/stats/lookup`, summed over every sidecar process): totals over the
window, the breaker now, and one point per minute with calls, errors, p95 latency and the
worst breaker state of that minute. Frappe-free (tested in tests_pure)."""

BREAKER_STATES = ("closed", "half_open", "open")


def percentile_ms(counts: list[int], bounds: list[float | None], q: float) -> float | None:
	"""The upper bound of the latency bucket holding the q-quantile; None without calls. A
	quantile in the last bucket (slower than every bound) is reported as the last bound."""
	total = sum(counts)
	if total == 0:
		return None
	rank = q * total
	seen = 0
	for count, bound in zip(counts, bounds):
		seen += count
		if seen >= rank and count:
			return bound if bound is not None else next((b for b in reversed(bounds) if b is not None), None)
	return None


def summarize(answer: dict, names: dict[str, str]) -> dict[str, dict]:
	"""The sidecar's lookup answer → {connection name: {calls, errors, by_result, breaker, series}}
	for the sidecar ids in `names` (sidecar id → name)."""
	bounds = answer.get("latency_buckets_ms") or []
	out: dict[str, dict] = {}
	for sidecar_id, stats in (answer.get("connections") or {}).items():
		name = names.get(sidecar_id)
		if name is None or not isinstance(stats, dict):
			continue
		totals = stats.get("totals") or {}
		breaker = (stats.get("breaker") or {}).get("state")
		out[name] = {
			"calls": int(totals.get("calls") or 0),
			"errors": int(totals.get("errors") or 0),
			"by_result": dict(totals.get("by_result") or {}),
			"breaker": breaker if breaker in BREAKER_STATES else "closed",
			"series": [
				{
					"minute": m.get("minute"),
					"calls": int(m.get("calls") or 0),
					"errors": int(m.get("errors") or 0),
					"p95_ms": percentile_ms(list(m.get("latency_counts") or []), bounds, 0.95),
					"breaker": m.get("breaker") if m.get("breaker") in BREAKER_STATES else None,
				}
				for m in stats.get("series") or []
			],
		}
	return out
