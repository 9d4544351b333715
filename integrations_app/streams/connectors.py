"""An Integration Stream Connector as the sidecar holds it: PUT /v1/stream-connectors/{id}.

The sidecar keeps a connection to the remote SSE or WebSocket source and hands each event to
Frappe as a verified webhook of the connector's Integration Inbound Endpoint. Scheduling (after
commit, retried minutely) is `sidecar.config_sync`'s; the rules are `streams.rules.connectors`.
"""

import frappe
from frappe import _

from integrations_app.sidecar.client import SidecarClient
from integrations_app.streams.rules import connectors as rules

CONNECTOR = "Integration Stream Connector"
CONNECTION = "Integration Connection"
FIELDS = (
	"transport",
	"source_url",
	"inbound_endpoint",
	"event_id_field",
	"event_type_field",
	"resume_param",
	"enabled",
	"min_backoff_ms",
	"max_backoff_ms",
	"idle_timeout_s",
)


def _connection_sidecar_id(doc) -> str | None:
	if not doc.connection:
		return None
	sidecar_id = frappe.db.get_value(CONNECTION, doc.connection, "sidecar_id")
	if not sidecar_id:
		frappe.throw(_("Connection {0} has not been set up in the sidecar yet").format(frappe.bold(doc.connection)))
	return sidecar_id


def connector_config(doc) -> dict:
	return rules.connector_config({f: doc.get(f) for f in FIELDS}, _connection_sidecar_id(doc))


def validate(doc) -> None:
	"""Normalises and checks the fields (the same rules the config push applies)."""
	try:
		doc.connector_id = rules.check_connector_id(doc.connector_id)
		config = connector_config(doc)
	except rules.ConnectorConfigError as e:
		frappe.throw(str(e), title=_("Invalid stream connector"))
	doc.source_url = config["url"]
	doc.event_id_field = config["event_id_field"]
	doc.event_type_field = config["event_type_field"]
	doc.resume_param = config.get("resume_param")


def push_config(doc, client: SidecarClient) -> None:
	client.put_stream_connector(doc.name, connector_config(doc))
