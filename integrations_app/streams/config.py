"""An Integration Stream as the sidecar holds it: PUT /v1/streams/{stream_id} (DESIGN §3).

The body carries the hashes of the stream's live tokens (never a token: none is stored), the
retention and the allowed CORS origins. A disabled stream is deleted from the sidecar, so its
consumers are refused. Scheduling (after commit, retried minutely) is `sidecar.config_sync`'s.
"""

import frappe
from frappe.utils import cint, get_datetime, now_datetime

from integrations_app.sidecar.client import SidecarClient, SidecarNotFound
from integrations_app.sitetime import to_iso_utc
from integrations_app.streams.rules import config as rules

STREAM = "Integration Stream"
TOKEN = "Integration Stream Token"


def token_rows(stream: str) -> list[dict]:
	"""The stream's tokens as the rules read them (hashes included: server side only)."""
	rows = frappe.get_all(
		TOKEN,
		filters={"stream": stream},
		fields=["token_hash", "revoked", "expires_at", "filter_field", "filter_value"],
		order_by="creation asc",
	)
	return [
		{
			"token_hash": row.token_hash,
			"revoked": cint(row.revoked),
			"expires_at": get_datetime(row.expires_at) if row.expires_at else None,
			"expires_iso": to_iso_utc(row.expires_at) if row.expires_at else None,
			"filter_field": row.filter_field,
			"filter_value": row.filter_value,
		}
		for row in rows
	]


def stream_config(doc) -> dict:
	return rules.stream_config(
		rules.live_token_hashes(token_rows(doc.name), now_datetime()),
		cint(doc.max_len),
		cint(doc.max_age_hours),
		rules.parse_origins(doc.cors_origins),
	)


def push_config(doc, client: SidecarClient) -> None:
	"""PUT an enabled stream, DELETE a disabled one (raises SidecarError like any call)."""
	if doc.enabled:
		client.put_stream(doc.name, stream_config(doc))
		return
	try:
		client.delete_stream(doc.name)
	except SidecarNotFound:
		pass  # already gone
