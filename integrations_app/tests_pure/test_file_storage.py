import unittest

from integrations_app.file_storage import keys


class TestFileStorageKeys(unittest.TestCase):
	def test_prefix_is_normalised_and_unsafe_ones_refused(self):
		self.assertEqual(keys.normalize_prefix(" /attachments/site1/ "), "attachments/site1/")
		self.assertEqual(keys.normalize_prefix(""), "")
		self.assertEqual(keys.normalize_prefix(None), "")
		for bad in ("a/../b", "a//b", "./x", "tab\there"):
			with self.assertRaises(ValueError):
				keys.normalize_prefix(bad)

	def test_object_key_separates_private_public_and_content(self):
		self.assertEqual(keys.object_key("f/", "abc123", "report.pdf", True), "f/private/abc123/report.pdf")
		self.assertEqual(keys.object_key("", "abc123", "report.pdf", False), "public/abc123/report.pdf")
		self.assertEqual(keys.object_key("", "h", "a/b\\c\x01.txt", False), "public/h/a_b_c_.txt")
		self.assertEqual(keys.object_key("", "h", "..", False), "public/h/file")

	def test_file_url_round_trips_and_only_ours_are_read(self):
		key = "frappe/private/abc/rapport été & co.pdf"
		url = keys.file_url_for("https://erp.example.com/", key)
		self.assertTrue(url.startswith("https://erp.example.com/api/method/integrations_app.api.files.download?key=frappe/private/abc/"))
		self.assertEqual(keys.key_of(url), key)
		self.assertTrue(url.endswith(keys.url_suffix(key)))
		self.assertIsNone(keys.key_of("/private/files/x.pdf"))
		self.assertIsNone(keys.key_of("https://elsewhere.example/x?key=a"))
		self.assertIsNone(keys.key_of("https://erp.example.com/api/method/integrations_app.api.files.download.evil?key=a"))
		self.assertIsNone(keys.key_of(None))

	def test_like_escape_and_progress(self):
		self.assertEqual(keys.like_escape("a%b_c\\d"), "a\\%b\\_c\\\\d")
		self.assertEqual(keys.progress(0, 0), 100)
		self.assertEqual(keys.progress(1, 3), 33)
		self.assertEqual(keys.progress(5, 3), 100)
