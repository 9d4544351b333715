import unittest

from integrations_app.connections.rules.stats import percentile_ms, summarize

BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, None]


def minute(at, calls=0, errors=0, counts=None, breaker=None):
	return {"minute": at, "calls": calls, "errors": errors, "by_result": {}, "latency_counts": counts or [0] * 13, "latency_sum_ms": 0, "breaker": breaker}


class TestPercentile(unittest.TestCase):
	def test_upper_bound_of_the_bucket_holding_the_quantile(self):
		counts = [0] * 13
		counts[1] = 90  # ≤ 10 ms
		counts[5] = 10  # ≤ 250 ms
		self.assertEqual(percentile_ms(counts, BOUNDS, 0.95), 250)
		self.assertEqual(percentile_ms(counts, BOUNDS, 0.5), 10)

	def test_no_calls_no_percentile_and_the_slowest_bucket_reports_the_last_bound(self):
		self.assertIsNone(percentile_ms([0] * 13, BOUNDS, 0.95))
		counts = [0] * 13
		counts[12] = 3
		self.assertEqual(percentile_ms(counts, BOUNDS, 0.95), 30000)


class TestSummarize(unittest.TestCase):
	def test_maps_sidecar_ids_to_names_and_keeps_only_known_ones(self):
		counts = [0] * 13
		counts[0] = 4
		answer = {
			"latency_buckets_ms": BOUNDS,
			"connections": {
				"Stripe-Live": {
					"breaker": {"state": "open", "failures": 5},
					"totals": {"calls": 7, "errors": 3, "by_result": {"2xx": 4, "5xx": 2, "circuit_open": 1}},
					"series": [minute("2026-11-30T21:00:00.000Z"), minute("2026-11-30T21:01:00.000Z", 7, 3, counts, "open")],
				},
				"someone-elses": {"totals": {"calls": 9}, "series": []},
			},
		}
		out = summarize(answer, {"Stripe-Live": "Stripe Live"})
		self.assertEqual(list(out), ["Stripe Live"])
		s = out["Stripe Live"]
		self.assertEqual((s["calls"], s["errors"], s["breaker"]), (7, 3, "open"))
		self.assertEqual(s["by_result"], {"2xx": 4, "5xx": 2, "circuit_open": 1})
		self.assertEqual(
			s["series"],
			[
				{"minute": "2026-11-30T21:00:00.000Z", "calls": 0, "errors": 0, "p95_ms": None, "breaker": None},
				{"minute": "2026-11-30T21:01:00.000Z", "calls": 7, "errors": 3, "p95_ms": 5, "breaker": "open"},
			],
		)

	def test_unknown_breaker_words_are_not_passed_on(self):
		answer = {"latency_buckets_ms": BOUNDS, "connections": {"a": {"breaker": {"state": "<b>"}, "totals": {}, "series": [minute("x", breaker="weird")]}}}
		s = summarize(answer, {"a": "A"})["A"]
		self.assertEqual((s["breaker"], s["series"][0]["breaker"]), ("closed", None))
