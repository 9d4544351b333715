"""Telling Integration Managers about things that need a person."""

import frappe
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

from integrations_app.permissions import INTEGRATION_MANAGER


def manager_emails() -> list[str]:
	"""Enabled desk users with the Integration Manager role (System Managers if there are none)."""
	for role in (INTEGRATION_MANAGER, "System Manager"):
		users = frappe.get_all("Has Role", filters={"role": role, "parenttype": "User"}, pluck="parent")
		emails = frappe.get_all(
			"User",
			filters={"name": ("in", users or [""]), "enabled": 1, "user_type": "System User"},
			pluck="email",
		)
		if emails := [e for e in emails if e]:
			return emails
	return []


def notify_managers(subject: str, document_type: str, document_name: str, body: str = "") -> None:
	"""A Notification Log per manager (which also emails those who chose email alerts)."""
	emails = manager_emails()
	if emails:
		enqueue_create_notification(
			emails,
			{
				"type": "Alert",
				"subject": subject,
				"email_content": body or subject,
				"document_type": document_type,
				"document_name": document_name,
				"from_user": "Administrator",
			},
		)
