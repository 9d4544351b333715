import hashlib
import unittest
from datetime import datetime, timedelta

from integrations_app.streams.rules import config, tokens


class TestTokens(unittest.TestCase):
	def test_new_tokens_are_prefixed_long_and_distinct(self):
		made = {tokens.new_token() for _ in range(200)}
		self.assertEqual(len(made), 200)
		for token in made:
			self.assertTrue(token.startswith("strm_"))
			self.assertGreaterEqual(len(token), len("strm_") + 43)  # 32 random bytes, base64url

	def test_hash_is_hex_sha256_of_the_token_text(self):
		self.assertEqual(tokens.hash_token("strm_abc"), hashlib.sha256(b"strm_abc").hexdigest())
		self.assertEqual(tokens.hash_token("é"), hashlib.sha256("é".encode("utf-8")).hexdigest())
		self.assertRegex(tokens.hash_token(tokens.new_token()), r"^[0-9a-f]{64}$")

	def test_matches_only_the_same_token(self):
		token = tokens.new_token()
		digest = tokens.hash_token(token)
		self.assertTrue(tokens.matches(token, digest))
		self.assertFalse(tokens.matches(token + "x", digest))
		self.assertFalse(tokens.matches(digest, digest))  # the hash is not a token

	def test_last_chars(self):
		self.assertEqual(tokens.last_chars("strm_abcdWXYZ"), "WXYZ")


class TestStreamId(unittest.TestCase):
	def test_accepts_path_safe_ids(self):
		for ok in ("orders", "a", "erp-customers_v2", "0x"):
			self.assertEqual(config.check_stream_id(ok), ok)
		self.assertEqual(config.check_stream_id("  orders "), "orders")

	def test_refuses_others(self):
		for bad in ("", "Orders", "-x", "_x", "a/b", "a b", "é", "x" * 64, "../x"):
			with self.assertRaises(config.StreamConfigError, msg=bad):
				config.check_stream_id(bad)


class TestOrigins(unittest.TestCase):
	def test_lines_and_commas_trailing_slash_and_duplicates(self):
		text = "https://a.example.com/\nhttp://localhost:8080, https://A.example.com\n\n"
		self.assertEqual(config.parse_origins(text), ["https://a.example.com", "http://localhost:8080"])

	def test_empty(self):
		self.assertEqual(config.parse_origins(None), [])
		self.assertEqual(config.parse_origins(" \n "), [])

	def test_refuses_wildcards_paths_and_other_schemes(self):
		for bad in ("*", "https://*.example.com", "https://a.example.com/path", "ftp://a.example.com", "a.example.com"):
			with self.assertRaises(config.StreamConfigError, msg=bad):
				config.parse_origins(bad)

	def test_at_most_fifty(self):
		config.parse_origins("\n".join(f"https://h{i}.example.com" for i in range(50)))
		with self.assertRaises(config.StreamConfigError):
			config.parse_origins("\n".join(f"https://h{i}.example.com" for i in range(51)))


class TestRetention(unittest.TestCase):
	def test_bounds(self):
		config.check_retention(0, 0)
		config.check_retention(config.MAX_LEN_LIMIT, config.MAX_AGE_HOURS_LIMIT)
		for max_len, hours in ((-1, 0), (config.MAX_LEN_LIMIT + 1, 0), (0, -1), (0, config.MAX_AGE_HOURS_LIMIT + 1)):
			with self.assertRaises(config.StreamConfigError):
				config.check_retention(max_len, hours)


class TestConfigBody(unittest.TestCase):
	now = datetime(2026, 11, 30, 12, 0, 0)

	def token(self, digest, revoked=0, expires=None):
		return {
			"token_hash": digest,
			"revoked": revoked,
			"expires_at": expires,
			"expires_iso": expires.strftime("%Y-%m-%dT%H:%M:%SZ") if expires else None,
		}

	def test_only_live_tokens_with_their_expiry(self):
		later = self.now + timedelta(hours=1)
		live = config.live_token_hashes(
			[
				self.token("a" * 64),
				self.token("b" * 64, revoked=1),
				self.token("c" * 64, expires=self.now - timedelta(seconds=1)),
				self.token("d" * 64, expires=self.now),  # expiring now: already refused
				self.token("e" * 64, expires=later),
				self.token(""),
			],
			self.now,
		)
		self.assertEqual(live, [{"hash": "a" * 64}, {"hash": "e" * 64, "expires_at": "2026-11-30T13:00:00Z"}])

	def test_body_in_seconds_and_zeroes_left_to_the_sidecar(self):
		hashes = [{"hash": "a" * 64}]
		self.assertEqual(
			config.stream_config(hashes, 500, 2, ["https://a.example.com"]),
			{"token_hashes": hashes, "cors_origins": ["https://a.example.com"], "max_len": 500, "max_age_s": 7200},
		)
		self.assertEqual(config.stream_config([], 0, 0, []), {"token_hashes": [], "cors_origins": []})


class TestTokenFilters(unittest.TestCase):
	def test_a_filter_needs_a_dot_path_and_a_value(self):
		self.assertEqual(tokens.check_filter(" customer ", " CUST-0001 "), ("customer", "CUST-0001"))
		self.assertEqual(tokens.check_filter("items.0.item_code", "X"), ("items.0.item_code", "X"))
		self.assertEqual(tokens.check_filter(None, ""), (None, None))
		for field, value in (("customer", ""), ("", "x"), ("a..b", "x"), ("a b", "x"), ("x" * 201, "y"), ("f", "v" * 1001)):
			with self.subTest(field=field[:10], value=value[:10]), self.assertRaises(tokens.TokenFilterError):
				tokens.check_filter(field, value)

	def test_a_live_tokens_filter_goes_to_the_sidecar_as_text(self):
		now = datetime(2026, 11, 30, 12, 0, 0)
		rows = [
			{"token_hash": "a" * 64, "revoked": 0, "expires_at": None, "expires_iso": None, "filter_field": "customer", "filter_value": "CUST-1"},
			{"token_hash": "b" * 64, "revoked": 0, "expires_at": None, "expires_iso": None, "filter_field": None, "filter_value": None},
			{"token_hash": "c" * 64, "revoked": 1, "expires_at": None, "expires_iso": None, "filter_field": "customer", "filter_value": "CUST-2"},
		]
		self.assertEqual(
			config.live_token_hashes(rows, now),
			[{"hash": "a" * 64, "filter": {"field": "customer", "equals": "CUST-1"}}, {"hash": "b" * 64}],
		)
