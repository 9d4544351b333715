"""One retention for Succeeded deliveries and Processed events (`retention_days`) became one per
status: a value someone set carries over to both of those; the failure statuses get their
(longer) defaults from install.ensure_settings."""

import frappe

SETTINGS = "Integration Settings"


def execute():
	old = frappe.db.sql("select value from `tabSingles` where doctype = %s and field = 'retention_days'", (SETTINGS,))
	if old and (days := frappe.utils.cint(old[0][0])) > 0:
		for field in ("retain_succeeded_days", "retain_processed_days"):
			frappe.db.set_single_value(SETTINGS, field, days)
	frappe.db.delete("Singles", {"doctype": SETTINGS, "field": "retention_days"})
