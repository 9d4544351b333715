import base64
import os
import unittest

from integrations_app.connections.rules import auth

BODY = base64.b64encode(os.urandom(1190)).decode()
PEM = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(BODY[i : i + 64] for i in range(0, len(BODY), 64)) + "\n-----END PRIVATE KEY-----\n"
SCOPES = ["https://www.googleapis.com/auth/drive.readonly"]


class TestAwsSigV4(unittest.TestCase):
	def test_maps_the_fields(self):
		self.assertEqual(
			auth.aws_sigv4_auth(" AKIAIOSFODNN7EXAMPLE ", "wJalr/K7MDENG+bPxRfiCYEXAMPLEKEY", None, "eu-west-1", "s3"),
			{
				"type": "aws_sigv4",
				"access_key_id": "AKIAIOSFODNN7EXAMPLE",
				"secret_access_key": "wJalr/K7MDENG+bPxRfiCYEXAMPLEKEY",
				"region": "eu-west-1",
				"service": "s3",
			},
		)

	def test_session_token_only_when_set(self):
		self.assertEqual(auth.aws_sigv4_auth("AKIA1", "s", "  FwoGZX//token=  ", "us-east-1", "iam")["session_token"], "FwoGZX//token=")
		self.assertNotIn("session_token", auth.aws_sigv4_auth("AKIA1", "s", "  ", "us-east-1", "iam"))

	def test_refuses_what_the_sidecar_would(self):
		cases = [
			(("", "s", None, "eu-west-1", "s3"), "Access Key ID is required"),
			(("AKIA/1", "s", None, "eu-west-1", "s3"), "letters and digits"),
			(("AKIA1", "", None, "eu-west-1", "s3"), "Secret Access Key is required"),
			(("AKIA1", "a\nb", None, "eu-west-1", "s3"), "one line"),
			(("AKIA1", "s", None, "EU West 1", "s3"), "Region"),
			(("AKIA1", "s", None, "eu-west-1", ""), "Service"),
			(("AKIA1", "s", None, "eu-west-1", "S3 bucket"), "Service"),
			(("AKIA1", "s", "x" * 9000, "eu-west-1", "s3"), "Session Token"),
		]
		for args, reason in cases:
			with self.subTest(args=args), self.assertRaisesRegex(ValueError, reason):
				auth.aws_sigv4_auth(*args)

	def test_default_base_url(self):
		self.assertEqual(auth.aws_default_base_url("s3", "eu-west-1"), "https://s3.eu-west-1.amazonaws.com")


class TestPem(unittest.TestCase):
	def test_kept_when_already_pem(self):
		self.assertEqual(auth.normalize_pem(PEM), PEM)

	def test_json_escapes_crlf_and_flattened_pastes_give_the_same_pem(self):
		pastes = [
			PEM.replace("\n", "\\n"),  # the JSON key file's private_key, copied with its escapes
			PEM.replace("\n", "\r\n"),
			PEM.replace("\n", ""),  # a password input drops line breaks
			PEM.replace("\n", " "),
			"  " + PEM + "  ",
		]
		for paste in pastes:
			with self.subTest(paste=paste[:40]):
				self.assertEqual(auth.normalize_pem(paste), PEM)

	def test_pkcs1_label_kept(self):
		pkcs1 = PEM.replace("PRIVATE KEY", "RSA PRIVATE KEY")
		self.assertEqual(auth.normalize_pem(pkcs1.replace("\n", "")), pkcs1)

	def test_refuses_what_is_not_a_private_key(self):
		for bad in ["", "not a key", PEM.replace("PRIVATE", "PUBLIC"), "-----BEGIN PRIVATE KEY-----%%%-----END PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----QUJD-----END PRIVATE KEY-----"]:
			with self.subTest(bad=bad[:40]), self.assertRaises(ValueError):
				auth.normalize_pem(bad)


class TestGoogleServiceAccount(unittest.TestCase):
	def test_maps_the_fields_with_googles_token_uri_by_default(self):
		self.assertEqual(
			auth.google_service_account_auth("bot@p.iam.gserviceaccount.com", PEM.replace("\n", "\\n"), None, "", SCOPES, None),
			{"type": "google_service_account", "client_email": "bot@p.iam.gserviceaccount.com", "private_key": PEM, "token_uri": auth.GOOGLE_TOKEN_URI, "scopes": SCOPES},
		)

	def test_optional_fields(self):
		got = auth.google_service_account_auth("bot@p.iam.gserviceaccount.com", PEM, "a1b2c3", "http://127.0.0.1:9/token", SCOPES, "alice@example.com")
		self.assertEqual((got["private_key_id"], got["token_uri"], got["subject"]), ("a1b2c3", "http://127.0.0.1:9/token", "alice@example.com"))

	def test_refusals(self):
		cases = [
			(("not-an-email", PEM, None, None, SCOPES, None), "Client Email"),
			(("bot@p", PEM, None, None, [], None), "scope"),
			(("bot@p", "nope", None, None, SCOPES, None), "PEM"),
			(("bot@p", PEM, "bad id!", None, SCOPES, None), "Private Key ID"),
			(("bot@p", PEM, None, None, SCOPES, "alice"), "Subject"),
		]
		for args, reason in cases:
			with self.subTest(args=args[0]), self.assertRaisesRegex(ValueError, reason):
				auth.google_service_account_auth(*args)


class TestCredentialField(unittest.TestCase):
	def test_which_password_guards_the_base_url(self):
		self.assertEqual(auth.credential_field("OAuth 2 Authorization Code", oauth=True), "client_secret")
		self.assertEqual(auth.credential_field(auth.GOOGLE_SERVICE_ACCOUNT, oauth=False), "google_private_key")
		self.assertEqual(auth.credential_field(auth.AWS_SIGV4, oauth=False), "secret")
		self.assertEqual(auth.credential_field("Bearer Token", oauth=False), "secret")
