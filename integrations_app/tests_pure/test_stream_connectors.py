import unittest

from integrations_app.streams.rules.connectors import ConnectorConfigError, check_connector_id, connector_config

BASE = {"transport": "SSE", "source_url": "https://events.example.com/feed", "inbound_endpoint": "acme-feed", "enabled": 1}


class TestConnectorConfig(unittest.TestCase):
	def test_sse_body_leaves_unset_values_to_the_sidecar(self):
		self.assertEqual(
			connector_config(BASE, None),
			{
				"url": "https://events.example.com/feed",
				"transport": "sse",
				"inbound_endpoint": "acme-feed",
				"connection_id": None,
				"event_id_field": None,
				"event_type_field": None,
				"enabled": True,
			},
		)

	def test_websocket_with_resume_parameter_connection_and_timings(self):
		values = {
			**BASE,
			"transport": "WebSocket",
			"source_url": "wss://events.example.com/ws",
			"event_id_field": " data.id ",
			"event_type_field": "type",
			"resume_param": "since",
			"enabled": 0,
			"min_backoff_ms": 500,
			"max_backoff_ms": 30000,
			"idle_timeout_s": 60,
		}
		self.assertEqual(
			connector_config(values, "conn-1"),
			{
				"url": "wss://events.example.com/ws",
				"transport": "ws",
				"inbound_endpoint": "acme-feed",
				"connection_id": "conn-1",
				"event_id_field": "data.id",
				"event_type_field": "type",
				"enabled": False,
				"resume_param": "since",
				"min_backoff_ms": 500,
				"max_backoff_ms": 30000,
				"idle_timeout_s": 60,
			},
		)

	def test_refusals_name_the_field(self):
		cases = {
			"Transport": {**BASE, "transport": "Kafka"},
			"Inbound Endpoint": {**BASE, "inbound_endpoint": ""},
			"Source URL: a SSE": {**BASE, "source_url": "wss://x.example.com"},
			"Source URL: a WebSocket": {**BASE, "transport": "WebSocket", "source_url": "https://x.example.com", "event_id_field": "id"},
			"credentials": {**BASE, "source_url": "https://u:p@x.example.com/"},
			"fragment": {**BASE, "source_url": "https://x.example.com/#a"},
			"Event ID Field": {**BASE, "event_id_field": "a..b"},
			"required for a WebSocket": {**BASE, "transport": "WebSocket", "source_url": "ws://x.example.com"},
			"Last-Event-ID": {**BASE, "resume_param": "since"},
			"query parameter": {**BASE, "transport": "WebSocket", "source_url": "ws://x", "event_id_field": "id", "resume_param": "a b"},
			"at least Min": {**BASE, "min_backoff_ms": 5000, "max_backoff_ms": 2000},
			"Min Backoff": {**BASE, "min_backoff_ms": 10},
			"Idle Timeout": {**BASE, "idle_timeout_s": 1},
		}
		for expected, values in cases.items():
			with self.subTest(expected), self.assertRaises(ConnectorConfigError) as caught:
				connector_config(values, None)
			self.assertIn(expected, str(caught.exception))

	def test_connector_id(self):
		self.assertEqual(check_connector_id(" acme-orders "), "acme-orders")
		for bad in ("", "Acme", "-x", "a/b", "x" * 64):
			with self.subTest(bad), self.assertRaises(ConnectorConfigError):
				check_connector_id(bad)
