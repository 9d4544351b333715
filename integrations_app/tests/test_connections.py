"""Integration Connections, OAuth providers and calls through the sidecar (issue 9, Frappe side).

A real HTTP server on 127.0.0.1 stands in for the sidecar (FakeSidecar); desk methods run as
users holding exactly the role under test; sidecar callbacks as the Sidecar API User.
"""

import base64
import json
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import frappe
from frappe.utils import get_datetime
from frappe.utils.password import get_decrypted_password

from integrations_app.api import connections as api
from integrations_app.api import sidecar as sidecar_api
from integrations_app.connections import call, errors
from integrations_app.connections.config import connection_config
from integrations_app.install import ensure_provider_presets
from integrations_app.sidecar import config_sync
from integrations_app.sidecar.client import reset_shared_session
from integrations_app.tests.helpers import (
	IM_USER,
	PLAIN_USER,
	SM_USER,
	FakeSidecar,
	IntegrationsTestCase,
	as_sidecar,
	configure_sidecar,
)

CONNECTION = "Integration Connection"
PROVIDER = "Integration OAuth Provider"
SECRET = "sk_test_super_secret_value"
ACCESS = "at-very-secret-access"
REFRESH = "rt-very-secret-refresh"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SA_EMAIL = "sync-bot@proj-123.iam.gserviceaccount.com"
SA_KEY = (
	rsa.generate_private_key(public_exponent=65537, key_size=2048)
	.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
	.decode()
)
SA_KEY_BODY = "".join(SA_KEY.splitlines()[1:-1])


def make_provider(name="Test IdP", **fields):
	doc = frappe.get_doc(
		{
			"doctype": PROVIDER,
			"provider_name": name,
			"authorize_url": "https://idp.example.com/authorize",
			"token_url": "https://idp.example.com/token",
			"api_base_url": "https://api.idp.example.com",
			"client_id": "client-1",
			"client_secret": "client-secret-1",
			"scopes": "read write",
			**fields,
		}
	)
	return doc.insert(ignore_permissions=True)


def make_connection(name="Stripe Live", **fields):
	values = {
		"doctype": CONNECTION,
		"connection_name": name,
		"auth_type": "Bearer Token",
		"base_url": "https://api.stripe.com",
		"secret": SECRET,
		**fields,
	}
	return frappe.get_doc(values).insert(ignore_permissions=True)


def make_oauth_connection(name="Google Drive", provider=None, **fields):
	provider = provider or make_provider()
	fields.setdefault("base_url", "")
	return make_connection(name, auth_type="OAuth 2 Authorization Code", provider=provider.name, secret=None, **fields)


def run_pushes():
	"""Run the after-commit config pushes queued so far (what commit would do)."""
	queue = frappe.db.after_commit._functions
	pushes = [f for f in queue if f is config_sync._run_scheduled]
	for push in pushes:
		queue.remove(push)
		push()


def tokens_body(obtained="2026-11-30T10:00:00.000Z", expires="2026-11-30T11:00:00.000Z", access=ACCESS, refresh=REFRESH):
	return {
		"access_token": access,
		"refresh_token": refresh,
		"token_type": "Bearer",
		"scope": "read write",
		"expires_at": expires,
		"obtained_at": obtained,
	}


store_tokens = as_sidecar(sidecar_api.store_connection_tokens)
connection_status = as_sidecar(sidecar_api.connection_status)
recover_config = as_sidecar(sidecar_api.connection_config)


class ConnectionsTestCase(IntegrationsTestCase):
	def setUp(self):
		reset_shared_session()
		self.addCleanup(frappe.set_user, "Administrator")
		# The after-commit push and the OAuth callback commit (a GET request is not committed
		# for them); here everything must stay in the test's transaction, which is rolled back.
		commit = patch.object(frappe.db, "commit", lambda: None)
		commit.start()
		self.addCleanup(commit.stop)

	def as_user(self, user):
		frappe.set_user(user)


class TestProviders(ConnectionsTestCase):
	def test_presets_are_records_an_admin_completes(self):
		ensure_provider_presets()
		presets = {p.name: p for p in frappe.get_all(PROVIDER, fields=["name", "preset", "token_url", "pkce", "client_auth_method"])}
		for name in ("PayPal", "Google", "Microsoft", "Stripe Connect"):
			self.assertEqual(presets[name].preset, name)
		self.assertEqual(presets["Google"].token_url, "https://oauth2.googleapis.com/token")
		self.assertEqual((presets["Google"].pkce, presets["Google"].client_auth_method), (1, "post"))
		self.assertEqual(presets["Stripe Connect"].pkce, 0, "Stripe Connect takes no PKCE")
		# migrate again: an admin's client id is kept
		frappe.db.set_value(PROVIDER, "Google", "client_id", "mine.apps.googleusercontent.com")
		ensure_provider_presets()
		self.assertEqual(frappe.db.get_value(PROVIDER, "Google", "client_id"), "mine.apps.googleusercontent.com")

	def test_a_new_provider_from_a_preset_gets_its_values(self):
		doc = frappe.get_doc({"doctype": PROVIDER, "provider_name": "Second Google", "preset": "Google", "client_id": "x"}).insert(ignore_permissions=True)
		self.assertEqual(doc.authorize_url, "https://accounts.google.com/o/oauth2/v2/auth")
		self.assertEqual(doc.authorize_params, "access_type=offline\nprompt=consent")
		self.assertEqual(doc.client_auth_method, "post")

	def test_moving_the_token_url_needs_the_secret_again(self):
		provider = make_provider()
		self.as_user(IM_USER)
		doc = frappe.get_doc(PROVIDER, provider.name)
		doc.token_url = "https://attacker.example.net/token"
		with self.assertRaises(frappe.PermissionError):
			doc.save()
		doc.reload()
		doc.token_url = "https://attacker.example.net/token"
		doc.client_secret = "typed-again"
		doc.save()  # whoever types the secret may send it anywhere
		self.assertEqual(doc.get_password("client_secret"), "typed-again")


class TestConnectionDocType(ConnectionsTestCase):
	def test_sidecar_id_and_pushed_config(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			make_connection("Stripe Live", headers="Stripe-Version: 2024-06-20", rate_limit_per_s=25, rate_limit_burst=5)
			other = make_connection("Stripe-Live")
			run_pushes()
		self.assertEqual(frappe.db.get_value(CONNECTION, "Stripe Live", "sidecar_id"), "Stripe-Live")
		self.assertEqual(other.sidecar_id, "Stripe-Live-2", "ids never collide")
		puts = {r["path"]: r["body"] for r in sidecar.requests if r["method"] == "PUT"}
		body = puts["/v1/connections/Stripe-Live"]
		self.assertEqual(body["auth"], {"type": "bearer", "token": SECRET})
		self.assertEqual(body["headers"], {"Stripe-Version": "2024-06-20"})
		self.assertEqual((body["rate_limit_per_s"], body["rate_limit_burst"], body["enabled"]), (25, 5, True))
		self.assertIn("/v1/connections/Stripe-Live-2", puts)
		self.assertEqual(frappe.db.get_value(CONNECTION, "Stripe Live", ["sidecar_synced", "status"]), (1, "Connected"))

	def test_delete_is_pushed_by_sidecar_id(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			doc = make_connection("To Delete")
			run_pushes()
			doc.delete(ignore_permissions=True)
			run_pushes()
		self.assertEqual(sidecar.requests[-1]["method"], "DELETE")
		self.assertEqual(sidecar.requests[-1]["path"], "/v1/connections/To-Delete")

	def test_a_refused_config_is_the_last_error(self):
		def respond(method, path, body):
			return 400, {"error": {"code": "invalid_request", "message": "auth.name: not a header name"}}

		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = respond
			make_connection("Refused")
			run_pushes()
		row = frappe.db.get_value(CONNECTION, "Refused", ["status", "last_error", "sidecar_synced"], as_dict=True)
		self.assertEqual((row.status, row.sidecar_synced), ("Error", 0))
		self.assertIn("not a header name", row.last_error)

	def test_api_key_and_basic_configs(self):
		key = make_connection("Key Q", auth_type="API Key (Query)", key_name="api_key")
		self.assertEqual(connection_config(key)["auth"], {"type": "api_key", "in": "query", "name": "api_key", "value": SECRET})
		header = make_connection("Key H", auth_type="API Key (Header)", key_name="Authorization", api_key_prefix="Token ")
		self.assertEqual(connection_config(header)["auth"]["prefix"], "Token ")
		basic = make_connection("Basic", auth_type="Basic Auth", username="me")
		self.assertEqual(connection_config(basic)["auth"], {"type": "basic", "username": "me", "password": SECRET})
		with self.assertRaises(frappe.ValidationError):
			make_connection("Bad header", headers="Authorization: Bearer x")

	def test_oauth_config_flattens_the_provider(self):
		doc = make_oauth_connection()
		self.assertEqual(doc.base_url, "https://api.idp.example.com", "the provider's API Base URL by default")
		self.assertEqual(doc.status, "Not Connected")
		auth = connection_config(doc)["auth"]
		self.assertEqual(
			auth,
			{
				"type": "oauth2_authorization_code",
				"token_url": "https://idp.example.com/token",
				"client_id": "client-1",
				"client_secret": "client-secret-1",
				"client_auth": "basic",
				"scopes": ["read", "write"],
				"token_params": {},
				"default_token_lifetime_s": 3600,
				"authorize_url": "https://idp.example.com/authorize",
				"pkce": True,
				"authorize_params": {},
			},
		)
		self.assertNotIn("tokens", connection_config(doc))

	def test_sandbox_uses_the_providers_sandbox_urls(self):
		provider = make_provider(
			"Pal",
			authorize_url=None,
			sandbox_token_url="https://sandbox.idp.example.com/token",
			sandbox_api_base_url="https://api.sandbox.idp.example.com",
		)
		doc = make_connection("Pal Sandbox", auth_type="OAuth 2 Client Credentials", provider=provider.name, base_url="", secret=None, sandbox=1)
		self.assertEqual(doc.base_url, "https://api.sandbox.idp.example.com")
		self.assertEqual(connection_config(doc)["auth"]["token_url"], "https://sandbox.idp.example.com/token")


class TestCredentialDestination(ConnectionsTestCase):
	"""An Integration Manager cannot read a credential, so may not send it to another host either."""

	def test_moving_the_base_url_needs_the_secret_again(self):
		make_connection("Stripe Live")
		self.as_user(IM_USER)
		doc = frappe.get_doc(CONNECTION, "Stripe Live")
		doc.base_url = "https://collector.attacker.example.net"
		with self.assertRaises(frappe.PermissionError):
			doc.save()
		doc.reload()
		doc.base_url = "https://api.stripe.com/v2"  # same host: fine
		doc.save()
		doc.base_url = "https://api.other.example.com"
		doc.secret = "a-new-key"
		doc.save()
		self.assertEqual(doc.get_password("secret"), "a-new-key")

	def test_a_shared_client_sends_tokens_only_to_the_providers_api(self):
		provider = make_provider()
		self.as_user(IM_USER)
		with self.assertRaises(frappe.PermissionError):
			make_oauth_connection("Exfil", provider=provider, base_url="https://collector.attacker.example.net")
		# with its own client it is the manager's own business
		doc = make_oauth_connection("Own", provider=provider, base_url="https://elsewhere.example.net", client_id="own", client_secret="own-secret")
		self.assertEqual(connection_config(doc)["auth"]["client_secret"], "own-secret")

	def test_moving_an_oauth_connection_drops_its_tokens_in_both_places(self):
		provider = make_provider(sandbox_api_base_url="https://api2.idp.example.com")
		doc = make_oauth_connection(provider=provider)
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		doc.reload()
		self.assertEqual(doc.status, "Connected")
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			doc.base_url = "https://api2.idp.example.com"
			doc.save(ignore_permissions=True)
			run_pushes()
		# No DELETE first: the sidecar drops its own tokens when a PUT moves the base URL's origin.
		self.assertEqual([(r["method"], r["path"]) for r in sidecar.requests], [("PUT", "/v1/connections/Google-Drive")])
		self.assertNotIn("tokens", sidecar.requests[-1]["body"])
		self.assertEqual(sidecar.requests[-1]["body"]["base_url"], "https://api2.idp.example.com")
		doc.reload()
		self.assertEqual((doc.status, doc.access_token, doc.sidecar_reset_pending), ("Not Connected", None, 0))


class TestSignedAuthTypes(ConnectionsTestCase):
	"""AWS SigV4 and Google service accounts: fields by auth type, what the sidecar is told."""

	def aws(self, name="S3 Reports", **fields):
		values = {
			"auth_type": "AWS SigV4",
			"base_url": "",
			"secret": AWS_SECRET,
			"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
			"aws_region": "eu-west-1",
			"aws_service": "s3",
			**fields,
		}
		return make_connection(name, **values)

	def google(self, name="Drive Bot", **fields):
		values = {
			"auth_type": "Google Service Account",
			"base_url": "https://www.googleapis.com",
			"secret": None,
			"google_client_email": SA_EMAIL,
			"google_private_key": SA_KEY.replace("\n", ""),  # a password input drops the line breaks
			"google_key_id": "8f1c2d3e4a5b",
			"scopes": "https://www.googleapis.com/auth/drive.readonly, https://www.googleapis.com/auth/spreadsheets",
			**fields,
		}
		return make_connection(name, **values)

	def test_aws_sigv4_config_and_default_base_url(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			doc = self.aws(aws_session_token="FwoGZXIvYXdzEBY-session")
			run_pushes()
		self.assertEqual(doc.base_url, "https://s3.eu-west-1.amazonaws.com")
		self.assertEqual(doc.status, "Connected")
		body = next(r["body"] for r in sidecar.requests if r["method"] == "PUT")
		self.assertEqual(
			body["auth"],
			{
				"type": "aws_sigv4",
				"access_key_id": "AKIAIOSFODNN7EXAMPLE",
				"secret_access_key": AWS_SECRET,
				"session_token": "FwoGZXIvYXdzEBY-session",
				"region": "eu-west-1",
				"service": "s3",
			},
		)
		self.assertEqual(body["base_url"], "https://s3.eu-west-1.amazonaws.com")
		row = frappe.db.get_value(CONNECTION, doc.name, ["secret", "aws_session_token"])
		self.assertNotIn(AWS_SECRET, str(row), "secrets are Password fields")
		self.assertEqual(get_decrypted_password(CONNECTION, doc.name, "aws_session_token"), "FwoGZXIvYXdzEBY-session")

	def test_aws_sigv4_needs_its_fields(self):
		for name, fields in (
			("No key", {"aws_access_key_id": None}),
			("Bad key", {"aws_access_key_id": "AKIA/1"}),
			("Bad region", {"aws_region": "EU West"}),
			("No service", {"aws_service": None}),
			("No secret", {"secret": None}),
		):
			with self.subTest(name), self.assertRaises(frappe.ValidationError):
				self.aws(name, **fields)
		self.assertNotIn("session_token", connection_config(self.aws("No token"))["auth"])

	def test_google_service_account_config(self):
		doc = self.google(google_subject="alice@example.com")
		self.assertEqual(doc.get_password("google_private_key"), SA_KEY, "stored as PEM, line breaks restored")
		self.assertEqual(doc.google_token_uri, "https://oauth2.googleapis.com/token")
		self.assertEqual(doc.status, "Connected")
		self.assertEqual(
			connection_config(doc)["auth"],
			{
				"type": "google_service_account",
				"client_email": SA_EMAIL,
				"private_key": SA_KEY,
				"private_key_id": "8f1c2d3e4a5b",
				"token_uri": "https://oauth2.googleapis.com/token",
				"scopes": ["https://www.googleapis.com/auth/drive.readonly", "https://www.googleapis.com/auth/spreadsheets"],
				"subject": "alice@example.com",
			},
		)
		self.assertNotIn("tokens", connection_config(doc))
		other = self.google("Token URI Override", google_token_uri="http://127.0.0.1:8123/token", google_key_id=None)
		auth = connection_config(other)["auth"]
		self.assertEqual(auth["token_uri"], "http://127.0.0.1:8123/token")
		self.assertNotIn("private_key_id", auth)
		self.assertNotIn("subject", auth)
		# saved again with the form's ***** placeholder: the stored key is kept
		other.reload()
		other.save(ignore_permissions=True)
		self.assertEqual(connection_config(other)["auth"]["private_key"], SA_KEY)

	def test_google_service_account_refusals(self):
		for name, fields in (
			("No scopes", {"scopes": ""}),
			("Not a key", {"google_private_key": "not a key"}),
			("No email", {"google_client_email": None}),
			("Bad token URI", {"google_token_uri": "ftp://example.com/token"}),
		):
			with self.subTest(name), self.assertRaises(frappe.ValidationError):
				self.google(name, **fields)

	def test_another_auth_type_drops_the_old_credentials(self):
		doc = self.google()
		doc.auth_type = "Bearer Token"
		doc.secret = SECRET
		doc.save(ignore_permissions=True)
		doc.reload()
		self.assertIsNone(get_decrypted_password(CONNECTION, doc.name, "google_private_key", raise_exception=False))
		self.assertEqual((doc.google_client_email, doc.scopes), (None, None))
		self.assertEqual(connection_config(doc)["auth"], {"type": "bearer", "token": SECRET})

	def test_moving_the_base_url_needs_the_private_key_again(self):
		self.google()
		self.as_user(IM_USER)
		doc = frappe.get_doc(CONNECTION, "Drive Bot")
		doc.base_url = "https://collector.attacker.example.net"
		with self.assertRaises(frappe.PermissionError):
			doc.save()
		doc.reload()
		doc.base_url = "https://sheets.googleapis.com"
		doc.google_private_key = SA_KEY
		doc.save()
		self.assertEqual(connection_config(doc)["base_url"], "https://sheets.googleapis.com")

	def test_list_holds_no_signed_credential(self):
		self.aws()
		self.google()
		self.as_user(IM_USER)
		dumped = json.dumps(
			[api.list_connections(), frappe.get_doc(CONNECTION, "S3 Reports").as_dict(), frappe.get_doc(CONNECTION, "Drive Bot").as_dict()], default=str
		)
		for secret in (AWS_SECRET, SA_KEY_BODY[:64]):
			self.assertNotIn(secret, dumped)


class TestCall(ConnectionsTestCase):
	def test_call_goes_through_proxy_and_returns_the_answer(self):
		def respond(method, path, body):
			if path.endswith("/proxy"):
				return 200, {"status": 201, "headers": {"content-type": "application/json"}, "body": '{"id":"re_1"}', "body_encoding": "utf8", "attempts": 2, "duration_ms": 12.5}
			return 200, {}

		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			make_connection("Stripe Live")
			sidecar.respond = respond
			response = call("Stripe Live", "post", "/v1/refunds", json={"charge": "ch_1"}, idempotency_key="refund-ch_1", query={"expand": ["x", "y"]})
		[proxied] = [r for r in sidecar.requests if r["path"].endswith("/proxy")]
		self.assertEqual(proxied["path"], "/v1/connections/Stripe-Live/proxy")
		self.assertEqual(
			proxied["body"],
			{"method": "POST", "path": "/v1/refunds", "query": {"expand": ["x", "y"]}, "body": {"charge": "ch_1"}, "idempotency_key": "refund-ch_1"},
		)
		self.assertEqual(proxied["headers"]["Authorization"], "Bearer test-sidecar-token")
		self.assertEqual((response.status_code, response.ok, response.attempts), (201, True, 2))
		self.assertEqual(response.json(), {"id": "re_1"})
		self.assertEqual(response["json"], {"id": "re_1"}, "also plain data for server scripts")
		self.assertEqual(json.loads(frappe.as_json(response))["status_code"], 201, "serialisable (bench execute)")

	def test_binary_and_error_statuses_are_answers(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			make_connection("Files")
			sidecar.respond = lambda m, p, b: (200, {"status": 404, "headers": {}, "body": base64.b64encode(b"\x00\x01").decode(), "body_encoding": "base64", "attempts": 1, "duration_ms": 1})
			response = call("Files", "GET", "/x")
		self.assertEqual((response.status_code, response.ok, response.content), (404, False, b"\x00\x01"))
		with self.assertRaises(frappe.ValidationError):
			response.raise_for_status()

	def test_sidecar_error_codes_become_typed_errors(self):
		cases = {
			(429, "rate_limited"): errors.RateLimited,
			(503, "circuit_open"): errors.CircuitOpen,
			(504, "timeout"): errors.UpstreamTimeout,
			(502, "upstream_error"): errors.UpstreamUnreachable,
			(502, "response_too_large"): errors.ResponseTooLarge,
			(409, "connection_expired"): errors.ConnectionExpired,
			(409, "not_connected"): errors.NotConnected,
			(409, "connection_disabled"): errors.ConnectionDisabled,
			(502, "oauth_error"): errors.OAuthError,
			(400, "invalid_request"): errors.InvalidCall,
			(503, "unavailable"): errors.SidecarDown,
		}

		class Respond:
			status, code = 200, None

			def __call__(self, method, path, body):
				return self.status, {"error": {"code": self.code, "message": f"stopped by {self.code}", "details": {"kind": "reset"}}}

		respond = Respond()
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			make_connection("Typed")
			sidecar.respond = respond
			for (status, code), cls in cases.items():
				respond.status, respond.code = status, code
				with self.assertRaises(cls) as caught:
					call("Typed", "GET", "/x")
				self.assertIsInstance(caught.exception, errors.CallError)
				self.assertEqual(caught.exception.http_status_code, cls.http_status_code)
				self.assertNotIn(SECRET, str(caught.exception))
		self.assertIn("stopped by timeout", str(errors.UpstreamTimeout("Typed: stopped by timeout")))

	def test_no_sidecar_and_unknown_connection(self):
		configure_sidecar("http://127.0.0.1:9")  # nothing listens on the discard port
		make_connection("Down")
		with self.assertRaises(errors.SidecarDown):
			call("Down", "GET", "/")
		with self.assertRaises(errors.ConnectionNotFound):
			call("Nope", "GET", "/")
		with self.assertRaises(errors.InvalidCall):
			call("Down", "TRACE", "/")

	def test_http_callers_need_system_manager_or_a_server_script(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			make_connection("Scripted")
			sidecar.respond = lambda m, p, b: (200, {"status": 200, "headers": {}, "body": "ok", "body_encoding": "utf8", "attempts": 1, "duration_ms": 1})
			self.as_user(IM_USER)
			with self.assertRaises(frappe.PermissionError):
				api.call_connection("Scripted", "GET", "/")
			frappe.flags.in_safe_exec = 1
			try:
				self.assertEqual(api.call_connection("Scripted", "GET", "/")["text"], "ok")
			finally:
				frappe.flags.in_safe_exec = 0
			self.as_user(SM_USER)
			self.assertEqual(api.call_connection("Scripted", "GET", "/")["status_code"], 200)


class TestSidecarCallbacks(ConnectionsTestCase):
	def test_write_back_keeps_tokens_in_password_fields_with_absolute_utc_expiry(self):
		doc = make_oauth_connection()
		result = store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body(), connected_by=IM_USER, connected_at="2026-11-30T10:00:00Z")
		self.assertEqual(result, {"ok": True, "stored": True})
		row = frappe.db.get_value(CONNECTION, doc.name, ["status", "token_expires_at", "token_obtained_at", "access_token", "connected_by"], as_dict=True)
		self.assertEqual(row.status, "Connected")
		self.assertEqual(get_datetime(row.token_expires_at), get_datetime("2026-11-30 11:00:00"), "UTC, whatever the site's time zone")
		self.assertNotIn(ACCESS, json.dumps(row, default=str), "the column holds no token")
		self.assertEqual(get_decrypted_password(CONNECTION, doc.name, "access_token"), ACCESS)
		self.assertEqual(get_decrypted_password(CONNECTION, doc.name, "refresh_token"), REFRESH)
		self.assertEqual(row.connected_by, IM_USER)
		# a later save does not move the expiry (Frappe's Connected App derives it from `modified`)
		doc.reload()
		doc.timeout_ms = 10_000
		doc.save(ignore_permissions=True)
		self.assertEqual(get_datetime(frappe.db.get_value(CONNECTION, doc.name, "token_expires_at")), get_datetime("2026-11-30 11:00:00"))

	def test_an_older_write_back_never_wins(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body(obtained="2026-11-30T10:05:00Z", access="newer"))
		result = store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body(obtained="2026-11-30T10:00:00Z", access="older"))
		self.assertEqual(result["stored"], False)
		self.assertEqual(get_decrypted_password(CONNECTION, doc.name, "access_token"), "newer")

	def test_recovery_returns_the_put_body_with_tokens(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		config = recover_config(connection_id=doc.sidecar_id)
		self.assertEqual(config["tokens"], tokens_body())
		self.assertEqual(config["auth"]["client_secret"], "client-secret-1")
		self.assertIsNone(recover_config(connection_id="no-such-id"))

	def test_tokens_of_another_client_are_not_pushed_back(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		doc.reload()
		doc.client_id = "another-client"
		doc.client_secret = "another-secret"
		doc.save(ignore_permissions=True)
		self.assertEqual(doc.status, "Not Connected")
		self.assertNotIn("tokens", recover_config(connection_id=doc.sidecar_id))

	def test_invalid_grant_marks_expired_and_tells_managers_once(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		before = frappe.db.count("Notification Log", {"for_user": IM_USER, "document_name": doc.name})
		for _ in range(2):
			connection_status(connection_id=doc.sidecar_id, status="expired", error="invalid_grant: token revoked", at="2026-11-30T10:30:00Z")
		row = frappe.db.get_value(CONNECTION, doc.name, ["status", "last_error"], as_dict=True)
		self.assertEqual((row.status, row.last_error), ("Expired", "invalid_grant: token revoked"))
		after = frappe.db.count("Notification Log", {"for_user": IM_USER, "document_name": doc.name})
		self.assertEqual(after - before, 1, "one notice per expiry")

	def test_only_the_sidecar_user_may_call_them(self):
		doc = make_oauth_connection()
		for user in (IM_USER, SM_USER, PLAIN_USER):
			self.as_user(user)
			for fn in (
				lambda: sidecar_api.connection_config(connection_id=doc.sidecar_id),
				lambda: sidecar_api.store_connection_tokens(connection_id=doc.sidecar_id, tokens=tokens_body()),
				lambda: sidecar_api.connection_status(connection_id=doc.sidecar_id, status="expired"),
			):
				with self.assertRaises(frappe.PermissionError):
					fn()


class TestOAuthFlow(ConnectionsTestCase):
	def sidecar_for_flow(self, sidecar):
		def respond(method, path, body):
			if path.endswith("/oauth/start"):
				return 200, {"authorize_url": "https://idp.example.com/authorize?state=S" + "x" * 40, "state": "S" + "x" * 40, "expires_at": "2026-11-30T10:10:00Z"}
			if path == "/v1/oauth/callback":
				return 200, {"connection_id": "Google-Drive", "status": "connected", "expires_at": "2026-11-30T11:00:00Z", "scope": "read", "connected_by": body["user"], "connected_at": "2026-11-30T10:00:00Z"}
			return 200, {}

		sidecar.respond = respond

	def test_connect_as_an_integration_manager(self):
		doc = make_oauth_connection()
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			self.sidecar_for_flow(sidecar)
			self.as_user(IM_USER)
			started = api.start_oauth(doc.name, return_to="spa")
			self.assertTrue(started["authorize_url"].startswith("https://idp.example.com/authorize"))
			start = next(r for r in sidecar.requests if r["path"].endswith("/oauth/start"))
			self.assertEqual(start["body"]["user"], IM_USER)
			self.assertEqual(urlsplit(start["body"]["redirect_uri"]).path, "/api/method/integrations_app.api.connections.oauth_callback")
			self.assertTrue(any(r["method"] == "PUT" for r in sidecar.requests), "the current config is pushed first")

			# another manager opening the link: refused here with the reason, the state is not spent
			self.as_user(SM_USER)
			api.oauth_callback(state="S" + "x" * 40, code="the-code")
			self.assert_refusal_page("started by another user")
			self.assertFalse(any(r["path"] == "/v1/oauth/callback" for r in sidecar.requests))

			self.as_user(IM_USER)
			api.oauth_callback(state="S" + "x" * 40, code="the-code")
			location = frappe.local.response["location"]
			[forwarded] = [r for r in sidecar.requests if r["path"] == "/v1/oauth/callback"]
			self.assertEqual(forwarded["body"], {"state": "S" + "x" * 40, "user": IM_USER, "code": "the-code"})
			self.assertEqual(urlsplit(location).path, "/integrations/connections")
			self.assertEqual(parse_qs(urlsplit(location).query), {"connection": [doc.name], "oauth": ["connected"]})
			row = frappe.db.get_value(CONNECTION, doc.name, ["status", "connected_by", "token_expires_at"], as_dict=True)
			self.assertEqual((row.status, row.connected_by), ("Connected", IM_USER))
			# single use
			frappe.local.response.pop("type", None)
			api.oauth_callback(state="S" + "x" * 40, code="the-code")
			self.assert_refusal_page("already used")
			self.assertEqual(len([r for r in sidecar.requests if r["path"] == "/v1/oauth/callback"]), 1)

	def assert_refusal_page(self, reason):
		"""The browser is shown Frappe's message page with the reason (not a bare "Not Permitted")."""
		self.assertEqual((frappe.local.response["type"], frappe.local.response["route"]), ("page", "message"))
		self.assertEqual(frappe.local.response["http_status_code"], 403)
		self.assertIn(reason, frappe.local.message)

	def test_a_provider_error_is_recorded(self):
		doc = make_oauth_connection()
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			self.sidecar_for_flow(sidecar)
			api.start_oauth(doc.name)
			sidecar.respond = lambda m, p, b: (502, {"error": {"code": "oauth_error", "message": "access_denied: the user said no"}})
			api.oauth_callback(state="S" + "x" * 40, error="access_denied", error_description="the user said no")
		self.assertIn("oauth=failed", frappe.local.response["location"])
		self.assertIn("access_denied", frappe.db.get_value(CONNECTION, doc.name, "last_error"))

	def test_guests_are_sent_to_log_in_and_back(self):
		self.as_user("Guest")
		api.oauth_callback(state="S" + "x" * 40, code="c")
		self.assertTrue(frappe.local.response["location"].startswith("/login?redirect-to="))

	def test_plain_users_cannot_start_or_list(self):
		doc = make_oauth_connection()
		self.as_user(PLAIN_USER)
		for fn in (lambda: api.start_oauth(doc.name), api.list_connections, api.catalogue, api.connection_stats, lambda: api.disconnect(doc.name)):
			with self.assertRaises(frappe.PermissionError):
				fn()

	def test_disconnect_forgets_tokens_here_and_there(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = lambda method, path, body: (200, {"connection_id": doc.sidecar_id, "status": "not_connected", "revoked": [{"token": "refresh_token", "ok": True}, {"token": "access_token", "ok": True}], "revocation": "done"})
			self.as_user(IM_USER)
			self.assertEqual(api.disconnect(doc.name), {"status": "Not Connected", "revocation": "done", "error": None})
			frappe.set_user("Administrator")
			run_pushes()
		# The disconnect itself (no DELETE); then only the creation's pending push, without tokens.
		self.assertEqual(sidecar.requests[0]["method"], "POST")
		self.assertEqual(sidecar.requests[0]["path"], f"/v1/connections/{doc.sidecar_id}/disconnect")
		for later in sidecar.requests[1:]:
			self.assertEqual(later["method"], "PUT")
			self.assertNotIn("tokens", later["body"])
		self.assertIsNone(get_decrypted_password(CONNECTION, doc.name, "access_token", raise_exception=False))
		doc.reload()
		self.assertEqual((doc.status, doc.last_error, doc.sidecar_reset_pending), ("Not Connected", None, 0))

	def test_disconnect_records_a_failed_revocation_without_blocking(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = lambda method, path, body: (200, {"connection_id": doc.sidecar_id, "status": "not_connected", "revoked": [{"token": "refresh_token", "ok": False, "error": "revocation endpoint answered 503"}, {"token": "access_token", "ok": True}], "revocation": "failed"})
			self.as_user(IM_USER)
			out = api.disconnect(doc.name)
		self.assertEqual((out["status"], out["revocation"]), ("Not Connected", "failed"))
		self.assertIn("refresh_token: revocation endpoint answered 503", out["error"])
		doc.reload()
		self.assertEqual(doc.status, "Not Connected")
		self.assertIn("did not confirm", doc.last_error)
		self.assertIsNone(get_decrypted_password(CONNECTION, doc.name, "access_token", raise_exception=False))

	def test_disconnect_while_the_sidecar_is_down_is_done_on_the_next_push(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			sidecar.respond = lambda method, path, body: FakeSidecar.DROP
			self.as_user(IM_USER)
			self.assertEqual(api.disconnect(doc.name)["revocation"], "pending")
			frappe.set_user("Administrator")
			self.assertEqual(frappe.db.get_value(CONNECTION, doc.name, "sidecar_reset_pending"), 1)
			sidecar.requests.clear()
			sidecar.respond = FakeSidecar.default_respond
			run_pushes()
		self.assertEqual([(r["method"], r["path"]) for r in sidecar.requests], [("POST", f"/v1/connections/{doc.sidecar_id}/disconnect"), ("PUT", f"/v1/connections/{doc.sidecar_id}")])
		self.assertNotIn("tokens", sidecar.requests[-1]["body"])
		self.assertEqual(frappe.db.get_value(CONNECTION, doc.name, "sidecar_reset_pending"), 0)

	def test_the_provider_revoke_url_reaches_the_sidecar(self):
		provider = make_provider(revoke_url="https://idp.example.com/revoke")
		doc = make_oauth_connection(provider=provider)
		self.assertEqual(connection_config(doc)["auth"]["revoke_url"], "https://idp.example.com/revoke")


class TestDeskApi(ConnectionsTestCase):
	def test_list_and_catalogue_hold_no_secret(self):
		doc = make_oauth_connection()
		store_tokens(connection_id=doc.sidecar_id, tokens=tokens_body())
		make_connection("Stripe Live")
		self.as_user(IM_USER)
		rows = {r["name"]: r for r in api.list_connections()}
		self.assertEqual(rows[doc.name]["token_expires_at"], "2026-11-30T11:00:00.000Z")
		self.assertEqual(rows[doc.name]["status"], "Connected")
		dumped = json.dumps([rows, api.catalogue(), frappe.get_doc(CONNECTION, doc.name).as_dict(), frappe.get_doc(CONNECTION, "Stripe Live").as_dict()], default=str)
		for secret in (SECRET, ACCESS, REFRESH, "client-secret-1"):
			self.assertNotIn(secret, dumped)
		titles = [e["title"] for e in api.catalogue()]
		self.assertIn("Test IdP", titles)
		self.assertIn("Stripe", titles)
		defaults = {e["title"]: e["defaults"] for e in api.catalogue()}
		self.assertEqual(defaults["Amazon S3"], {"auth_type": "AWS SigV4", "aws_service": "s3"})
		self.assertEqual(defaults["Google Service Account"]["auth_type"], "Google Service Account")

	def test_test_connection_reports_without_the_body(self):
		with FakeSidecar() as sidecar:
			configure_sidecar(sidecar.url)
			make_connection("Stripe Live", test_path="/v1/balance")
			sidecar.respond = lambda m, p, b: (200, {"status": 401, "headers": {}, "body": '{"secret_data":1}', "body_encoding": "utf8", "attempts": 1, "duration_ms": 3})
			self.as_user(IM_USER)
			result = api.test_connection("Stripe Live")
			self.assertEqual((result["ok"], result["status_code"], result["status"]), (False, 401, "Error"))
			self.assertNotIn("secret_data", json.dumps(result))
			sidecar.respond = lambda m, p, b: (200, {"status": 200, "headers": {}, "body": "{}", "body_encoding": "utf8", "attempts": 1, "duration_ms": 3})
			result = api.test_connection("Stripe Live")
			self.assertEqual((result["ok"], result["status"]), (True, "Connected"))
		proxied = [r["body"] for r in sidecar.requests if r["path"].endswith("/proxy")]
		self.assertEqual(proxied[-1], {"method": "GET", "path": "/v1/balance"})


class TestNotAWebhookSource(ConnectionsTestCase):
	def test_webhooks_cannot_watch_connections_or_providers(self):
		from integrations_app.tests.helpers import make_webhook

		for doctype in (CONNECTION, PROVIDER):
			with self.assertRaises(frappe.ValidationError):
				make_webhook(reference_doctype=doctype)
