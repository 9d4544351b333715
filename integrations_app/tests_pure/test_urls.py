import unittest

from integrations_app import urls


class TestUrls(unittest.TestCase):
	def test_valid(self):
		self.assertEqual(urls.validate_webhook_url("https://Example.com/hook?x=1"), "example.com")
		self.assertEqual(urls.validate_webhook_url("http://127.0.0.1:9000/h"), "127.0.0.1")

	def test_invalid(self):
		for bad in ("", "ftp://x/y", "https:///path", "https://u:p@x.com/", "https://x.com/#a", "https://x.com:99999/"):
			with self.assertRaises(ValueError):
				urls.validate_webhook_url(bad)

	def test_private(self):
		for host in ("localhost", "127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]", "metadata.google.internal"):
			self.assertTrue(urls.is_private_host(host), host)
		for host in ("example.com", "8.8.8.8"):
			self.assertFalse(urls.is_private_host(host), host)

	def test_allow_list(self):
		self.assertEqual(urls.parse_allow_list("a.com, B.com\n\nc.com"), ["a.com", "b.com", "c.com"])

	def test_inbound_public_url(self):
		self.assertEqual(urls.inbound_public_url("https://h.example.com/", "stripe"), "https://h.example.com/v1/inbound/stripe")
		self.assertIsNone(urls.inbound_public_url("", "stripe"))


class TestBaseUrl(unittest.TestCase):
	def test_query_fragment_and_credentials_are_refused(self):
		self.assertEqual(urls.validate_base_url("http://127.0.0.1:8787"), "127.0.0.1")
		for url in (
			"http://127.0.0.1:8000/api/method/frappe.ping?x=",
			"http://127.0.0.1:8000/api/method/x?",
			"http://127.0.0.1:8787/#",
			"http://127.0.0.1:8787/#frag",
			"http://user:pw@127.0.0.1:8787",
		):
			with self.assertRaises(ValueError, msg=url):
				urls.validate_base_url(url)
