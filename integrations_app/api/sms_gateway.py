"""A gateway URL for Frappe's SMS Settings, so every `send_sms` of the site goes through the
Twilio connection of Integration Settings (v15 has no hook for it; see messaging/routing.py).

SMS Settings: SMS Gateway URL = `<site>/api/method/integrations_app.api.sms_gateway.send`,
Message Parameter `message`, Receiver Parameter `to`, Use POST on, and a header parameter
`Authorization` = `token <api key>:<api secret>` of a user with the Integration Manager role.
"""

import frappe
from frappe import _

from integrations_app.messaging.routing import send_sms_through_connection, sms_connection
from integrations_app.permissions import require_manager


@frappe.whitelist(methods=["POST"])
def send(to: str | None = None, message: str | None = None) -> dict:
	"""Send `message` to `to`; a refusal is an error status, which SMS Settings counts as not sent."""
	require_manager()
	if not to or not message:
		frappe.throw(_("to and message are required"))
	if not sms_connection():
		frappe.throw(_("Set SMS Connection in Integration Settings"))
	if not send_sms_through_connection([to], message):
		frappe.throw(_("The SMS provider did not accept the message to {0}").format(to))
	return {"sent": [to]}
