import base64
import hashlib
import hmac
import unittest

from integrations_app.outbound.rules import signing

# A fixed key so the expected values below are computed independently of the helper.
KEY = bytes(range(32))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
MSG_ID = "msg_01HZX3J1T6Q3W0Z2K5V7B8N9CD"
TIMESTAMP = 1714557600
BODY = b'{"type":"customer.created","timestamp":"2024-05-01T10:00:00.000Z","data":{"name":"C-1"}}'


def independent_standard_signature(key: bytes) -> str:
	to_sign = MSG_ID.encode() + b"." + str(TIMESTAMP).encode() + b"." + BODY
	return "v1," + base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()


class TestStandardWebhooks(unittest.TestCase):
	def test_generated_secret_shape(self):
		secret = signing.generate_standard_secret()
		self.assertTrue(secret.startswith("whsec_"))
		self.assertEqual(len(signing.decode_standard_secret(secret)), 32)
		self.assertNotEqual(secret, signing.generate_standard_secret())

	def test_vector(self):
		self.assertEqual(
			signing.sign_standard(SECRET, MSG_ID, TIMESTAMP, BODY), independent_standard_signature(KEY)
		)
		# str and bytes bodies sign the same bytes
		self.assertEqual(
			signing.sign_standard(SECRET, MSG_ID, TIMESTAMP, BODY.decode()),
			signing.sign_standard(SECRET, MSG_ID, TIMESTAMP, BODY),
		)

	def test_rotation_header_and_verify(self):
		old_key = bytes(range(100, 132))
		old = "whsec_" + base64.b64encode(old_key).decode()
		header = signing.standard_signature_header([SECRET, old], MSG_ID, TIMESTAMP, BODY)
		self.assertEqual(
			header, independent_standard_signature(KEY) + " " + independent_standard_signature(old_key)
		)
		self.assertTrue(signing.verify_standard(header, [old], MSG_ID, TIMESTAMP, BODY))
		self.assertTrue(signing.verify_standard(header, [SECRET], MSG_ID, TIMESTAMP, BODY))
		self.assertFalse(signing.verify_standard(header, [SECRET], MSG_ID, TIMESTAMP + 1, BODY))
		self.assertFalse(signing.verify_standard(header, [SECRET], MSG_ID, TIMESTAMP, BODY + b" "))
		self.assertFalse(signing.verify_standard("", [SECRET], MSG_ID, TIMESTAMP, BODY))

	def test_bad_secrets(self):
		for bad in ("abc", "whsec_***", "whsec_" + base64.b64encode(b"short").decode()):
			with self.assertRaises(ValueError):
				signing.decode_standard_secret(bad)


class TestFrappeCompatible(unittest.TestCase):
	def test_header_is_base64_hmac_of_raw_body(self):
		secret = "plain-secret"
		expected = base64.b64encode(hmac.new(secret.encode(), BODY, hashlib.sha256).digest()).decode()
		self.assertEqual(signing.sign_frappe(secret, BODY), expected)
		self.assertTrue(signing.verify_frappe(expected, secret, BODY))
		self.assertFalse(signing.verify_frappe(expected, "other", BODY))
		self.assertFalse(signing.verify_frappe("", secret, BODY))

	def test_generated_secret(self):
		secret = signing.generate_frappe_secret()
		self.assertGreaterEqual(len(secret), 40)
		self.assertFalse(secret.startswith("whsec_"))
