"""Desk API: Integration Streams, their access tokens, live tail and consumers (docs/api.md).

Every method checks the caller's permission on the stream (System Manager or Integration
Manager). Token hashes never leave the server: only label, expiry and last four characters.
"""

import json

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, now_datetime

from integrations_app.sidecar.client import SidecarClient, SidecarError, SidecarNotFound
from integrations_app.sitetime import to_iso_utc
from integrations_app.streams import tokens
from integrations_app.streams.config import STREAM, TOKEN

DELIVERY = "Integration Webhook Delivery"
SOURCE = "Integration Stream Source"
MAX_TAIL = 200
MAX_TOKEN_DAYS = 3650
CONSUMER_TIMEOUTS = {"connect_timeout": 1.0, "read_timeout": 3.0}


def _stream(stream: str, ptype: str = "read"):
	doc = frappe.get_doc(STREAM, stream)
	doc.check_permission(ptype)
	return doc


@frappe.whitelist()
def list_streams() -> list[dict]:
	"""The streams the user can read, each with its sources, live token count and last event."""
	frappe.has_permission(STREAM, "read", throw=True)
	streams = frappe.get_list(
		STREAM,
		fields=["name", "title", "enabled", "sidecar_synced", "payload_type", "max_len", "max_age_hours"],
		order_by="title asc",
		limit_page_length=0,
	)
	if not streams:
		return []
	names = [s.name for s in streams]
	sources: dict[str, list[dict]] = {}
	for row in frappe.get_all(
		SOURCE,
		filters={"parenttype": STREAM, "parent": ("in", names)},
		fields=["parent", "reference_doctype", "event"],
		order_by="idx asc",
	):
		sources.setdefault(row.parent, []).append({"reference_doctype": row.reference_doctype, "event": row.event})
	live_tokens = dict(
		frappe.db.sql(
			f"""select stream, count(*) from `tab{TOKEN}` where stream in %s and revoked = 0
			and (expires_at is null or expires_at > now()) group by stream""",
			(tuple(names),),
		)
	)
	for s in streams:
		s["sources"] = sources.get(s.name, [])
		s["live_tokens"] = cint(live_tokens.get(s.name))
		# one seek on the (stream, creation) index per stream
		last = frappe.db.sql(
			f"select max(creation) from `tab{DELIVERY}` where stream = %s", (s.name,)
		)[0][0]
		s["last_event_at"] = to_iso_utc(last) if last else None
	return streams


@frappe.whitelist()
def list_tokens(stream: str) -> list[dict]:
	"""→ [{name, label, last4, expires_at, revoked, state, revoked_at, revoked_by, created_by, created_at}]"""
	_stream(stream)
	return tokens.list_tokens(stream)


@frappe.whitelist(methods=["POST"])
def create_token(
	stream: str,
	label: str,
	expires_in_days: int | None = None,
	filter_field: str | None = None,
	filter_value: str | None = None,
) -> dict:
	"""→ the token's public fields and `token`: shown this once, never readable again.
	`expires_in_days` (1-3650; empty: never) counts from now on the server's clock, so no
	browser clock or time zone decides when a token stops working. `filter_field` and
	`filter_value` (both or neither) limit the token's consumers to the events whose data has
	that value at that dot path, e.g. customer = CUST-0001."""
	_stream(stream, "write")
	expires_at = None
	if expires_in_days not in (None, ""):
		days = cint(expires_in_days)
		if not 1 <= days <= MAX_TOKEN_DAYS:
			frappe.throw(_("A token expires in 1 to {0} days, or never").format(MAX_TOKEN_DAYS))
		expires_at = add_to_date(now_datetime(), days=days)
	return tokens.create_token(stream, label, expires_at, filter_field, filter_value)


@frappe.whitelist(methods=["POST"])
def revoke_token(token: str) -> dict:
	"""Revoke a token (by its row name): the sidecar refuses it once the change is pushed."""
	stream = frappe.db.get_value(TOKEN, token, "stream")
	if not stream:
		frappe.throw(_("No such token"), frappe.DoesNotExistError)
	_stream(stream, "write")
	return tokens.revoke_token(token)


@frappe.whitelist()
def tail(stream: str, limit: int = 50) -> list[dict]:
	"""The stream's latest events as Frappe fed them (its outbox rows), newest first:
	[{name, event_type, reference_doctype, reference_name, created_at, status, acked, payload}].
	`acked` = the sidecar has appended it. The SPA polls this while a stream is open: reading
	Frappe's own rows needs no route from the browser to the sidecar and costs a save nothing."""
	_stream(stream)
	limit = max(1, min(cint(limit) or 50, MAX_TAIL))
	rows = frappe.db.sql(
		f"""select name, event_type, reference_doctype, reference_name, creation, status, acked, payload
		from `tab{DELIVERY}` where stream = %s order by creation desc, name desc limit %s""",
		(stream, limit),
		as_dict=True,
	)
	for row in rows:
		row["created_at"] = to_iso_utc(row.pop("creation"))
		row["acked"] = cint(row["acked"])
		try:
			row["payload"] = json.loads(row["payload"] or "{}")
		except ValueError:
			pass  # shown as text
	return rows


@frappe.whitelist()
def consumers(stream: str) -> dict:
	"""Who is connected, from the sidecar (GET /v1/streams/{stream} `stats.clients`):
	→ {available: true, clients:[{transport, connected_at, last_event_id, lag}]} or
	{available: false, reason} when the sidecar cannot tell (down, not configured, older)."""
	_stream(stream)
	try:
		answer = SidecarClient.from_settings(**CONSUMER_TIMEOUTS).get_stream(stream)
	except SidecarNotFound:
		return {"available": False, "reason": _("The sidecar does not have this stream yet")}
	except SidecarError as e:
		return {"available": False, "reason": str(e)}
	stats = answer.get("stats") if isinstance(answer, dict) else None
	clients = stats.get("clients") if isinstance(stats, dict) else None
	if not isinstance(clients, list):
		return {"available": False, "reason": _("The sidecar does not report this stream's consumers")}
	keys = ("transport", "connected_at", "last_event_id", "lag")
	return {"available": True, "clients": [{k: c.get(k) for k in keys} for c in clients if isinstance(c, dict)]}


# --- inbound stream connectors (Integration Stream Connector)

CONNECTOR = "Integration Stream Connector"
CONNECTOR_STATUS_KEYS = (
	"state",
	"holder",
	"state_since",
	"connected_at",
	"last_event_id",
	"last_event_at",
	"forwarded",
	"duplicates",
	"skipped",
	"attempt",
	"last_error",
	"last_error_at",
)
HISTORY_KEYS = ("at", "reason", "attempt", "holder")


@frappe.whitelist()
def list_connectors() -> list[dict]:
	"""The stream connectors the user can read (their desk fields; status: `connector_status`)."""
	return frappe.get_list(
		CONNECTOR,
		fields=["name", "title", "transport", "source_url", "inbound_endpoint", "connection", "enabled", "sidecar_synced"],
		order_by="title asc",
	)


@frappe.whitelist()
def connector_status(connector: str) -> dict:
	"""From the sidecar (GET /v1/stream-connectors/{id}): → {available: true, status:{state,
	holder, …}, history:[{at, reason, attempt, holder}]} (newest first), or {available: false,
	reason} when the sidecar cannot tell."""
	frappe.get_doc(CONNECTOR, connector).check_permission("read")
	try:
		answer = SidecarClient.from_settings(**CONSUMER_TIMEOUTS).get_stream_connector(connector)
	except SidecarNotFound:
		return {"available": False, "reason": _("The sidecar does not have this connector yet")}
	except SidecarError as e:
		return {"available": False, "reason": str(e)}
	status = answer.get("status") if isinstance(answer, dict) else None
	history = answer.get("history") if isinstance(answer, dict) else None
	if not isinstance(status, dict) or not isinstance(history, list):
		return {"available": False, "reason": _("The sidecar does not report this connector's status")}
	return {
		"available": True,
		"status": {k: status.get(k) for k in CONNECTOR_STATUS_KEYS},
		"history": [{k: h.get(k) for k in HISTORY_KEYS} for h in history if isinstance(h, dict)],
	}
