import unittest
from datetime import datetime, timezone

from integrations_app.lib import timefmt


class TestTimestamps(unittest.TestCase):
	def test_parse_variants(self):
		expected = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=timezone.utc)
		for text in ("2024-05-01T10:00:00.123Z", "2024-05-01T12:00:00.123+02:00", "2024-05-01T10:00:00.123000000Z", "2024-05-01 10:00:00.123"):
			self.assertEqual(timefmt.parse_iso8601(text), expected, text)
		self.assertEqual(timefmt.parse_iso8601("2024-05-01T10:00:00Z"), expected.replace(microsecond=0))

	def test_parse_invalid(self):
		for bad in ("", "yesterday", None, 5):
			with self.assertRaises(ValueError):
				timefmt.parse_iso8601(bad)

	def test_format(self):
		dt = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
		self.assertEqual(timefmt.to_iso_utc(dt), "2024-05-01T10:00:00.123Z")
		with self.assertRaises(ValueError):
			timefmt.to_iso_utc(datetime(2024, 1, 1))

	def test_round_trip_through_site_zone(self):
		local = datetime(2024, 5, 1, 15, 30)
		utc = timefmt.local_to_utc(local, "Asia/Kolkata")
		self.assertEqual(timefmt.to_iso_utc(utc), "2024-05-01T10:00:00.000Z")
		self.assertEqual(timefmt.utc_to_local(utc, "Asia/Kolkata"), local)
