"""Desk API: Integration Settings."""

import json
import time

import frappe

from integrations_app.permissions import require_manager
from integrations_app.sidecar.client import SidecarClient, SidecarError
from integrations_app.sitetime import now_iso_utc

SETTINGS = "Integration Settings"


@frappe.whitelist(methods=["POST"])
def test_sidecar() -> dict:
	"""GET /healthz on the configured sidecar → {ok, status_code, latency_ms, health, error}."""
	require_manager()
	result = {"ok": False, "status_code": None, "latency_ms": None, "health": None, "error": None}
	started = time.monotonic()
	try:
		client = SidecarClient.from_settings(connect_timeout=2.0, read_timeout=5.0)
		result["health"] = client.health()
		result.update(ok=True, status_code=200)
	except SidecarError as e:
		result.update(status_code=e.status_code, error=str(e), health=e.body if isinstance(e.body, dict) else None)
	result["latency_ms"] = round((time.monotonic() - started) * 1000)
	# Not a user edit: leave `modified` alone, or a Settings form open in desk (or the SPA polling
	# this while someone edits) fails its next save with "Document has been modified after you have opened it".
	frappe.db.set_single_value(
		SETTINGS,
		"last_health",
		json.dumps({**result, "checked_at": now_iso_utc()}, indent=1),
		update_modified=False,
	)
	return result
