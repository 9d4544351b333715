"""Install and migrate steps. Each is idempotent: after_migrate runs on every `bench migrate`."""

import frappe

from integrations_app.connections.presets import PROVIDER_PRESETS
from integrations_app.outbound.rules.retry import DEFAULT_RETRY_SCHEDULE, format_retry_schedule
from integrations_app.permissions import INTEGRATION_MANAGER
from integrations_app.retention import RETENTION_DEFAULTS

SETTINGS = "Integration Settings"
PROVIDER = "Integration OAuth Provider"
SETTINGS_DEFAULTS = {
	"sidecar_url": "http://127.0.0.1:8787",
	"default_timeout_ms": 15000,
	"default_retry_schedule": format_retry_schedule(DEFAULT_RETRY_SCHEDULE),
	**RETENTION_DEFAULTS,
}


def before_install() -> None:
	refresh_module_map()
	# The DocTypes' permission rows link to this role, so it must exist before they are imported.
	ensure_role()


def refresh_module_map() -> None:
	"""Frappe's install_app syncs the DocTypes of the modules in `frappe.local.app_modules`, read
	at start-up from the site's Redis cache. On a bench that was running when `bench get-app` added
	this app, that cached map predates it, so none of its DocTypes would be synced (and
	after_install would fail on Integration Settings): rebuild the map from apps.txt."""
	frappe.cache.delete_value("app_modules")
	frappe.setup_module_map()


def after_install() -> None:
	ensure_role()
	ensure_settings()
	ensure_provider_presets()


def after_migrate() -> None:
	ensure_role()
	ensure_settings()
	ensure_provider_presets()


def ensure_role() -> None:
	if not frappe.db.exists("Role", INTEGRATION_MANAGER):
		frappe.get_doc(
			{"doctype": "Role", "role_name": INTEGRATION_MANAGER, "desk_access": 1}
		).insert(ignore_permissions=True)


def ensure_settings() -> None:
	"""Fill empty settings with defaults; values someone set are left alone."""
	missing = {
		field: value
		for field, value in SETTINGS_DEFAULTS.items()
		if not frappe.db.get_single_value(SETTINGS, field, cache=False)
	}
	for field, value in missing.items():
		frappe.db.set_single_value(SETTINGS, field, value)


def ensure_provider_presets() -> None:
	"""An Integration OAuth Provider per preset, named after it, unless one exists (by name or
	preset): admins fill in their client id and secret, and migrate never overwrites them."""
	for preset in PROVIDER_PRESETS:
		if frappe.db.exists(PROVIDER, preset) or frappe.db.exists(PROVIDER, {"preset": preset}):
			continue
		frappe.get_doc({"doctype": PROVIDER, "provider_name": preset, "preset": preset}).insert(ignore_permissions=True)
