"""Shell page of the /integrations SPA (the HTML comes from the frontend build)."""

from urllib.parse import urlencode

import frappe
import frappe.sessions
from frappe import _
from frappe.translate import get_all_translations
from frappe.utils import get_system_timezone

from integrations_app.permissions import is_integration_manager

no_cache = 1


def get_context(context):
	if frappe.session.user == "Guest":
		path = getattr(frappe.request, "path", "") if getattr(frappe.local, "request", None) else ""
		target = path if path.startswith("/integrations") else "/integrations"
		frappe.redirect("/login?" + urlencode({"redirect-to": target}))
	if not is_integration_manager():
		raise frappe.PermissionError(_("Only Integration Managers and System Managers can open Integrations"))

	csrf_token = frappe.sessions.get_csrf_token()
	frappe.db.commit()  # the new CSRF token lives in the session, which must be saved

	context.no_cache = 1
	context.boot = {
		"csrf_token": csrf_token,
		"site_name": frappe.local.site,
		"socketio_port": frappe.conf.socketio_port or 9000,
		"user": frappe.session.user,
		# every time in the SPA is shown in the site's zone: Frappe's datetimes are naive site time
		"time_zone": get_system_timezone(),
		# the SPA's __() reads these, as desk's does frappe.boot.__messages
		"lang": frappe.local.lang,
		"__messages": get_all_translations(frappe.local.lang),
	}
	return context
