"""The Try it panel's email and SMS actions (`api/providers.TEST_ACTIONS`): a test message
through the connection, recorded as an Integration Message whose status webhooks then move."""

from frappe import _

from integrations_app.providers.email import test_email
from integrations_app.providers.sms import test_sms


def send_test_email(connection: str, params: dict) -> dict:
	sent = test_email(connection, to=params.get("to"), sender=params.get("sender") or None)
	return {"ok": True, "summary": _("Queued at the provider as {0}").format(sent["message_id"]), **sent}


def send_test_sms(connection: str, params: dict) -> dict:
	sent = test_sms(connection, to=params.get("to"), sender=params.get("sender") or None)
	return {"ok": True, "summary": _("Queued at the provider as {0}").format(sent.get("message_id")), **sent}
