"""What an Integration Stream Connector becomes in the sidecar (PUT /v1/stream-connectors/{id}),
and the checks its settings pass on save. Frappe-free: values in, values out. The sidecar checks
the same rules again (sidecar/src/streams/connectors/schemas.ts) and adds the SSRF guard."""

import re
from urllib.parse import urlsplit

CONNECTOR_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
FIELD_PATH_RE = re.compile(r"^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")
PARAM_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TRANSPORTS = {"SSE": "sse", "WebSocket": "ws"}
SCHEMES = {"sse": ("http", "https"), "ws": ("ws", "wss")}
MAX_URL = 2048
BACKOFF_MS = (100, 3_600_000)
IDLE_S = (5, 3600)


class ConnectorConfigError(ValueError):
	pass


def check_connector_id(connector_id: str) -> str:
	connector_id = (connector_id or "").strip()
	if not CONNECTOR_ID_RE.match(connector_id):
		raise ConnectorConfigError(
			"Connector ID: 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit"
		)
	return connector_id


def check_url(transport: str, url: str) -> str:
	"""`transport` is "sse" or "ws"; the URL's scheme must match it, with no credentials in it
	(they belong in a connection, stored encrypted) and no fragment."""
	url = (url or "").strip()
	if not url or len(url) > MAX_URL:
		raise ConnectorConfigError(f"Source URL: required, at most {MAX_URL} characters")
	parts = urlsplit(url)
	schemes = SCHEMES[transport]
	if parts.scheme.lower() not in schemes or not parts.hostname:
		raise ConnectorConfigError(f"Source URL: a {transport_label(transport)} source's URL starts with {' or '.join(s + '://' for s in schemes)}")
	if parts.username or parts.password:
		raise ConnectorConfigError("Source URL: must not carry credentials; pick a Connection instead")
	if parts.fragment:
		raise ConnectorConfigError("Source URL: must not have a #fragment")
	return url


def transport_label(transport: str) -> str:
	return next(label for label, value in TRANSPORTS.items() if value == transport)


def check_field_path(label: str, path: str | None) -> str | None:
	path = (path or "").strip()
	if not path:
		return None
	if len(path) > 200 or not FIELD_PATH_RE.match(path):
		raise ConnectorConfigError(f"{label}: a dot path into the event's JSON such as id or data.object.id")
	return path


def connector_config(values: dict, connection_sidecar_id: str | None) -> dict:
	"""Body of PUT /v1/stream-connectors/{id} from the DocType's values (checked on the way).

	`values`: transport ("SSE"/"WebSocket"), source_url, inbound_endpoint, event_id_field,
	event_type_field, resume_param, enabled, min_backoff_ms, max_backoff_ms, idle_timeout_s
	(0 or missing: the sidecar's defaults)."""
	if values.get("transport") not in TRANSPORTS:
		raise ConnectorConfigError("Transport: SSE or WebSocket")
	transport = TRANSPORTS[values["transport"]]
	if not values.get("inbound_endpoint"):
		raise ConnectorConfigError("Inbound Endpoint: required (its handlers receive the events)")
	config: dict = {
		"url": check_url(transport, values.get("source_url")),
		"transport": transport,
		"inbound_endpoint": values["inbound_endpoint"],
		"connection_id": connection_sidecar_id or None,
		"event_id_field": check_field_path("Event ID Field", values.get("event_id_field")),
		"event_type_field": check_field_path("Event Type Field", values.get("event_type_field")),
		"enabled": bool(values.get("enabled")),
	}
	if transport == "ws" and not config["event_id_field"]:
		raise ConnectorConfigError("Event ID Field: required for a WebSocket source (its messages have no id of their own)")
	resume = (values.get("resume_param") or "").strip()
	if resume:
		if transport == "sse":
			raise ConnectorConfigError("Resume Parameter: for WebSocket sources; an SSE source resumes with Last-Event-ID")
		if not PARAM_RE.match(resume):
			raise ConnectorConfigError("Resume Parameter: a query parameter name (letters, digits, _ . -)")
		config["resume_param"] = resume
	low, high = int(values.get("min_backoff_ms") or 0), int(values.get("max_backoff_ms") or 0)
	for label, value, bounds in (("Min Backoff", low, BACKOFF_MS), ("Max Backoff", high, (1000, BACKOFF_MS[1]))):
		if value and not bounds[0] <= value <= bounds[1]:
			raise ConnectorConfigError(f"{label} (ms): between {bounds[0]} and {bounds[1]}")
	if low and high and low > high:
		raise ConnectorConfigError("Max Backoff (ms) must be at least Min Backoff (ms)")
	if low:
		config["min_backoff_ms"] = low
	if high:
		config["max_backoff_ms"] = high
	idle = int(values.get("idle_timeout_s") or 0)
	if idle:
		if not IDLE_S[0] <= idle <= IDLE_S[1]:
			raise ConnectorConfigError(f"Idle Timeout (s): between {IDLE_S[0]} and {IDLE_S[1]}")
		config["idle_timeout_s"] = idle
	return config
