import unittest
from datetime import datetime, timezone

from integrations_app import timefmt


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

	def test_site_local_converts_instants_and_keeps_wall_clock_times(self):
		# the SPA's UTC instant: 02:24Z is 07:54 in Kolkata (the bug read it as 02:24 Kolkata)
		self.assertEqual(timefmt.site_local("2026-11-29T02:24:00.000Z", "Asia/Kolkata"), datetime(2026, 11, 29, 7, 54))
		self.assertEqual(timefmt.site_local("2026-11-29T02:24:00+01:00", "Asia/Kolkata"), datetime(2026, 11, 29, 6, 54))
		# the desk's naive site-local text stays as it is
		self.assertEqual(timefmt.site_local("2026-11-29 02:24:00", "Asia/Kolkata"), datetime(2026, 11, 29, 2, 24))
		self.assertEqual(timefmt.site_local("2026-11-29 02:24:00.123456789", "UTC"), datetime(2026, 11, 29, 2, 24, 0, 123456))
		self.assertIsNone(timefmt.site_local("2026-11-29T02:24:00Z", "Asia/Kolkata").tzinfo)

	def test_site_local_invalid(self):
		for bad in ("", "since yesterday", None, 5):
			with self.assertRaises(ValueError):
				timefmt.site_local(bad, "UTC")
