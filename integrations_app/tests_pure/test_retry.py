import unittest

from integrations_app.outbound.rules import retry


class TestRetrySchedule(unittest.TestCase):
	def test_default_parses(self):
		text = retry.format_retry_schedule(retry.DEFAULT_RETRY_SCHEDULE)
		self.assertEqual(text, "5,300,1800,7200,18000,36000,50400,72000,86400")
		self.assertEqual(retry.parse_retry_schedule(text), list(retry.DEFAULT_RETRY_SCHEDULE))

	def test_spaces_and_newlines(self):
		self.assertEqual(retry.parse_retry_schedule(" 5, 60\n120 ,"), [5, 60, 120])

	def test_errors_name_the_entry(self):
		cases = {
			"": "empty",
			"5,x": "#2",
			"5,0": "#2",
			"1.5": "#1",
			str(retry.MAX_DELAY_S + 1): "#1",
			",".join(["1"] * (retry.MAX_RETRIES + 1)): "At most",
		}
		for text, fragment in cases.items():
			with self.assertRaises(ValueError) as ctx:
				retry.parse_retry_schedule(text)
			self.assertIn(fragment, str(ctx.exception))
