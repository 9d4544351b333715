"""Who may use integrations_app."""

import frappe

INTEGRATION_MANAGER = "Integration Manager"
MANAGER_ROLES = ("System Manager", INTEGRATION_MANAGER)


def is_integration_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	if user == "Administrator":
		return True
	return not set(MANAGER_ROLES).isdisjoint(frappe.get_roles(user))


def has_app_permission() -> bool:
	"""`add_to_apps_screen` check: show the /integrations tile to managers only."""
	return is_integration_manager()


def require_manager() -> None:
	"""Raise frappe.PermissionError unless the user is a System or Integration Manager.

	Not `frappe.only_for`: that one lets everybody through while tests run, so no test could
	show that the sidecar's methods refuse other users."""
	if not is_integration_manager():
		raise frappe.PermissionError(frappe._("Only a System Manager or an Integration Manager may do this"))


def require_sidecar() -> None:
	"""Raise frappe.PermissionError unless the caller is the Sidecar API User named in
	Integration Settings.

	The sidecar's callbacks (`api/sidecar.py`) store inbound events as verified and set delivery
	outcomes: a person, even a manager, must not be able to forge them. The sidecar already
	authenticates with its own API key, so naming that user is enough; only a System Manager
	can change the name (Integration Settings)."""
	sidecar_user = frappe.db.get_single_value("Integration Settings", "sidecar_api_user")
	if not sidecar_user or frappe.session.user != sidecar_user:
		raise frappe.PermissionError(frappe._("Only the Sidecar API User named in Integration Settings may call this"))
